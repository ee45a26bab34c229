from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from archive.models import Article, Hashtag


class TaggedCommentary(TaggedItemBase):
    content_object = models.ForeignKey("Commentary", on_delete=models.CASCADE)
    tag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="commentary_items")
    spelling = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_commentary_tag")
        ]


class Commentary(models.Model):
    """A reply imported with a post, or a curator's note; optionally anchored to a passage.

    The anchor is a W3C TextQuoteSelector (exact, prefix, suffix) plus the position of the quote
    in the article text as a hint (a TextPositionSelector start). It follows the article's text
    (annotations/reanchoring.py): when the text changes, the passage is found again and the
    anchor holds it as it reads now; the wording first quoted is kept when it differs, and a
    passage that is no longer in the text is marked lost (the anchor keeps its last wording).
    """

    class Origin(models.TextChoices):
        REPLY = "reply", "imported reply"
        NOTE = "note", "curator note"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="commentary")
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commentary",
    )
    author_name = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.NOTE)
    quote_exact = models.TextField(blank=True)
    quote_prefix = models.CharField(max_length=32, blank=True)
    quote_suffix = models.CharField(max_length=32, blank=True)
    quote_start = models.PositiveIntegerField(null=True, blank=True)
    quote_original = models.TextField(
        blank=True,
        verbose_name="passage as first quoted",
        help_text="Set when the article's text changed and the passage was found again reworded.",
    )
    quote_lost = models.BooleanField(
        default=False,
        verbose_name="passage lost",
        help_text="The quoted passage is no longer in the article's text.",
    )
    hashtags = TaggableManager(through=TaggedCommentary, blank=True, verbose_name="hashtags")

    external_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    position = models.PositiveIntegerField(default=0, help_text="Order among imported replies.")
    source_line = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(db_index=True)
    updated = models.DateTimeField()

    class Meta:
        verbose_name = "commentary"
        verbose_name_plural = "commentary"
        ordering = ["created", "position", "id"]
        permissions = [("edit_any_commentary", "Can edit and delete anyone's commentary")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def author_display(self) -> str:
        if self.author_id:
            return self.author.get_full_name() or self.author.get_username()
        return self.author_name

    @property
    def is_anchored(self) -> bool:
        return bool(self.quote_exact)

    @property
    def is_reanchored(self) -> bool:
        """Anchored to a passage reworded since it was first quoted."""
        return bool(self.quote_exact and self.quote_original and not self.quote_lost)


class ApiToken(models.Model):
    """A token for the write API (`Authorization: Token …`); managed in the admin."""

    key = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.user} – {self.name or self.key[:8]}"

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = secrets.token_hex(20)
        super().save(*args, **kwargs)
