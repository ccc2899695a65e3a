"""Login and logout views."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from ...extensions import db, limiter
from ...models import User
from ...services.accounts import authenticate
from ..access import public
from ..safety import safe_next
from . import bp
from .forms import LoginForm


def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def home_for(user: User) -> str:
    return url_for("coord.index") if user.is_coordinator else url_for("member.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            form.form_errors.append(gettext("Wrong username or password."))
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next"), home_for(user)))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@public
def logout():
    logout_user()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("public.menu"))
