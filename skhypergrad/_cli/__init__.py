"""The command-line demo and its CSV input."""
