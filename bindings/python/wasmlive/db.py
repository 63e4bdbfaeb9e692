"""Django's database connections on the handler threads.

Handler threads run view code as a threaded WSGI server runs requests, and
clean up as Django does around a request: ``close_old_connections()``
before and after each job closes connections past ``CONN_MAX_AGE`` (all of
them with the default ``0``) or left unusable by an error. A thread that
still holds a connection afterwards runs it again every second while idle,
so an idle thread never keeps one past its age.
"""

from django.db import close_old_connections, connections


def cleanup():
    """Close old connections of this thread; whether any is still open."""
    close_old_connections()
    return any(conn.connection is not None for conn in connections.all(initialized_only=True))
