"""Database backends (see ``postgresql``)."""
