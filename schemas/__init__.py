"""marshmallow schemas: every request body and query string is loaded through one of these."""
