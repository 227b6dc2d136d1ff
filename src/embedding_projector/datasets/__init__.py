"""Dataset parsing (pure) and storage (the only writer of dataset folders)."""
