from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from archive.models import Article, Hashtag, PublishedCommentaryManager


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

    all_objects = models.Manager()
    objects = PublishedCommentaryManager()  # the default: on published articles only

    class Meta:
        verbose_name = "commentary"
        verbose_name_plural = "commentary"
        ordering = ["created", "position", "id"]
        default_manager_name = "objects"
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
    """A token for the write API (`Authorization: Token …`), good for /api/ only.

    Only a SHA-256 digest of the key is stored: the key itself is shown once, when the token is
    issued (`ApiToken.issue`), and cannot be read back. A key has 256 random bits, so a fast
    digest is enough (no password hashing); `prefix` tells tokens apart in the admin.
    """

    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.user} – {self.name or self.prefix + '…'}"

    def save(self, *args, **kwargs):
        if not self.key_hash:
            raise ValueError("An API token needs a key: use ApiToken.issue() or new_key().")
        super().save(*args, **kwargs)

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def new_key(self) -> str:
        """Give this token a fresh key (replacing any earlier one); return the key, the only time
        it is known."""
        key = secrets.token_urlsafe(32)
        self.key_hash, self.prefix = self.digest(key), key[:8]
        return key

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        """A new token for `user` and its key."""
        token = cls(user=user, name=name)
        key = token.new_key()
        token.save()
        return token, key

    @classmethod
    def find(cls, key: str) -> ApiToken | None:
        """The token with this key, its user loaded, or None."""
        if not key:
            return None
        return cls.objects.select_related("user").filter(key_hash=cls.digest(key)).first()


class FailedTokenAttempts(models.Model):
    """Wrong API tokens sent from one client address since `since` (one row per address).

    Kept in the database so that every server process counts the same failures.
    """

    client = models.CharField(max_length=45, unique=True)
    since = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "failed API token attempts"
        verbose_name_plural = "failed API token attempts"

    def __str__(self) -> str:
        return f"{self.client}: {self.count} since {self.since:%Y-%m-%d %H:%M}"
