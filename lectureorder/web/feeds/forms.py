"""The one-button forms of the feed-link page (the buttons themselves are in the template)."""

from wtforms import SubmitField

from ..forms import SafeForm


class FeedForm(SafeForm):
    create = SubmitField()
    revoke = SubmitField()
