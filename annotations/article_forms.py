"""The form curators add and edit articles with: what it accepts, and the errors it gives.

Text is checked here, at the edge, as an import checks a dump: control characters are refused
(the request middleware refuses NUL and C0 controls before this; C1 controls come through
forms), and the sizes are the import's (archive/importer/limits.py), within what a form can post.
"""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.articles import ArticleFields
from archive.importer.limits import MAX_HASHTAGS, MAX_POST_CHARS
from archive.importer.parse import TITLE_MAX
from archive.text import CONTROL_RE, control_names, find_hashtags, hashtag_fits, is_web_url

# A form posts at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, and a character may take 12 of them
# once encoded (a 4-byte UTF-8 character, percent-escaped): a text this long always gets through.
# A longer article's text is not offered for editing in the browser (its dump is the way).
FORM_TEXT_CHARS = min(
    MAX_POST_CHARS, (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or MAX_POST_CHARS) // 12
)
URL_MAX = 2000
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs_of(text: str) -> list[str]:
    """A text as paragraphs: blank lines separate them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip() for p in _BLANK_LINE.split(text) if p.strip()]


def _no_control_characters(value: str) -> str:
    if CONTROL_RE.search(value):
        raise forms.ValidationError(
            _("Control characters are not allowed (%(names)s)."),
            params={"names": control_names(value)},
        )
    return value


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    url = forms.CharField(label=_("Source address (URL)"), required=False, max_length=URL_MAX)
    published = forms.DateField(
        label=_("Publication date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When the source published it, if you know it."),
    )
    text = forms.CharField(
        label=_("Text (a blank line between paragraphs)"),
        required=False,
        max_length=FORM_TEXT_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    hashtags = forms.CharField(
        label=_("Hashtags, separated by spaces"),
        required=False,
        max_length=MAX_HASHTAGS * 102,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, text_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not text_editable:  # too long for a form: kept as it is
            del self.fields["text"]

    def clean_title(self) -> str:
        return " ".join(_no_control_characters(self.cleaned_data["title"]).split())

    def clean_url(self) -> str:
        url = _no_control_characters(self.cleaned_data["url"].strip())
        if url and (not is_web_url(url) or any(c.isspace() for c in url)):
            raise forms.ValidationError(
                _("Give a web address starting with http:// or https://, without spaces.")
            )
        return url

    def clean_published(self):
        published = self.cleaned_data["published"]
        if published and published > timezone.localdate():
            raise forms.ValidationError(_("The publication date cannot be in the future."))
        return published

    def clean_text(self) -> list[str]:
        return paragraphs_of(_no_control_characters(self.cleaned_data["text"]))

    def clean_hashtags(self) -> list[str]:
        names = []
        for part in self.cleaned_data["hashtags"].replace(",", " ").split():
            name = part.lstrip("#")
            # Whatever a dump would read as this one hashtag (archive/text.py's rules).
            if not (name and hashtag_fits(name) and find_hashtags(f"#{name}") == [name]):
                raise forms.ValidationError(
                    _(
                        "“%(name)s” is not a hashtag: letters, digits, _ or -, "
                        "starting with a letter."
                    ),
                    params={"name": part[:110]},
                )
            names.append(name)
        if len(names) > MAX_HASHTAGS:
            raise forms.ValidationError(
                _("At most %(limit)s hashtags."), params={"limit": MAX_HASHTAGS}
            )
        return names

    def article_fields(self, kept_paragraphs: list[str] | None = None) -> ArticleFields:
        """The valid form's values. `kept_paragraphs`: the article's paragraphs as they are,
        kept when the text is not edited here (too long for a form, or the same paragraphs)."""
        data = self.cleaned_data
        paragraphs = data.get("text", kept_paragraphs)
        if kept_paragraphs is not None and paragraphs == paragraphs_of(
            "\n\n".join(kept_paragraphs)
        ):
            paragraphs = kept_paragraphs
        return ArticleFields(
            title=data["title"],
            url=data["url"],
            paragraphs=paragraphs or [],
            hashtags=data["hashtags"],
            published=data["published"],
        )
