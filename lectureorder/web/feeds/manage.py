"""The "my calendar link" page, shared by the member and coordinator blueprints (each route
declares its own access; this is only the body of the view)."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext

from ...extensions import db
from ...models import User
from ...services import clock, feeds
from .forms import FeedForm


def manage_feed(user: User, *, endpoint: str):
    form = FeedForm()
    if request.method == "POST":
        if not form.validate_on_submit() or not (form.create.data or form.revoke.data):
            abort(400)
        if form.revoke.data:
            count = feeds.revoke_feeds(user, now=clock.now_utc())
            db.session.commit()
            flash(gettext("Your calendar link is turned off.") if count
                  else gettext("You had no calendar link."), "success")
            return redirect(url_for(endpoint))
        token, feed = feeds.issue_feed(user, now=clock.now_utc())
        db.session.commit()
        # Rendered straight from the POST, never redirected: the secret must not sit in the
        # session cookie or in a URL the browser history keeps.
        link = url_for("feeds.calendar", token=token, _external=True)
        response = make_response(render_template("feeds/manage.html", form=form, feed=feed,
                                                 link=link, endpoint=endpoint))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("feeds/manage.html", form=form, feed=feeds.current_feed(user),
                           link=None, endpoint=endpoint)
