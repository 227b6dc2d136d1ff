"""Projection jobs: a runner in the server process and long-lived worker processes it owns."""
