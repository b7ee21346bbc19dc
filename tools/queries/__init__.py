"""Read-only questions of the database: audiences, profiles, free questions."""
