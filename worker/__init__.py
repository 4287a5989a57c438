"""The Celery worker's entry point (`celery -A worker.main`): the one module that builds an app at import.

The task machinery itself (Celery setup, retries, the beat schedule, the embedded broker) is the
shell's: hamkke/task_queue.py, hamkke/retry.py, hamkke/schedule.py, hamkke/filesystem_broker.py.
"""
