"""The operational PostgreSQL database (RDS): versioned migrations, the loader and its SQL."""
