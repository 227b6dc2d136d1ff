"""HTTP routers, one per resource: they translate HTTP and hold no logic."""
