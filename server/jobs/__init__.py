"""Long work as background jobs: one queue (RQ on Redis), progress in the database."""
