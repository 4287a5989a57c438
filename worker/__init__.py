"""The Celery worker: setup, schedule and the single import-time entry point (`worker.main`)."""
