"""The one-button forms of the feed-link page (the buttons themselves are in the template)."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


class FeedForm(FlaskForm):
    create = SubmitField()
    revoke = SubmitField()
