"""The todo list's rows, stored in the database (sqlite by default)."""

from django.db import models


class Todo(models.Model):
    text = models.CharField(max_length=200)
    position = models.IntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text
