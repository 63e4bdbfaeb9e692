from django.db import models


class Hit(models.Model):
    """One event's write."""

    at = models.DateTimeField(auto_now_add=True)
