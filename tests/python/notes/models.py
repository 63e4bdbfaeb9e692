from django.conf import settings
from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.text

    @property
    def shout(self):
        return self.text.upper()


class Product(models.Model):
    """The model docs/guides/lists-and-forms.md's example searches."""

    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name
