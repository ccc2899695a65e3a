"""群众点题 for coordinators: the villagers' questions, and publishing a short answer on a
topic page (大家常问) or taking it down."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Question, Topic
from ...services import questions as service
from ...services.clock import now_utc
from ..access import coordinator_required
from ..errors import domain_errors
from ..i18n import current_lang
from . import bp
from .forms import ActionForm, PublishQuestionForm, QuestionFilterForm

PER_PAGE = 30
_YES_NO = {"yes": True, "no": False}


def _question_or_404(question_id: int) -> Question:
    item = db.session.get(Question, question_id)
    if item is None:
        abort(404)
    return item


def _topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))


@bp.get("/questions")
@coordinator_required
def questions():
    topics = _topics()
    form = QuestionFilterForm(request.args)
    lang = current_lang()
    form.topic.choices = [("", gettext("All"))] + [(t.code, t.title(lang)) for t in topics]
    by_code = {t.code: t for t in topics}
    stmt = service.questions_query(topic=by_code.get(form.topic.data or ""),
                                   answered=_YES_NO.get(form.answered.data or ""),
                                   published=_YES_NO.get(form.published.data or ""))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template(
        "coord/questions.html", page=page, form=form, topics=topics,
        orders=service.orders_of(list(page.items)),
        filters={k: v for k, v in request.args.items() if k != "page" and v},
    )


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@coordinator_required
def question(question_id: int):
    item = _question_or_404(question_id)
    topics = _topics()
    order = service.orders_of([item]).get(item.id)
    form = PublishQuestionForm()
    form.topic.choices = [(t.id, t.title(current_lang())) for t in topics]
    errors = domain_errors(form)
    if request.method == "GET":
        form.text.data = item.text
        form.answer.data = item.answer
        default = item.topic_id or (order.topics[0].id if order and order.topics else None)
        form.topic.data = default or (topics[0].id if topics else None)
    if form.validate_on_submit():
        topic = db.session.get(Topic, form.topic.data)
        if topic is None:
            abort(400)
        with errors:
            service.publish(item, text=form.text.data, answer=form.answer.data, topic=topic,
                            now=now_utc(), actor=current_user)
            db.session.commit()
            flash(gettext("Published on the topic page."), "success")
            return redirect(url_for(".question", question_id=item.id))
    return render_template("coord/question.html", question=item, order=order, form=form,
                           topics=topics, action_form=ActionForm()), errors.status


@bp.post("/questions/<int:question_id>/unpublish")
@coordinator_required
def unpublish_question(question_id: int):
    item = _question_or_404(question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with domain_errors():
        service.unpublish(item, now=now_utc(), actor=current_user)
        db.session.commit()
        flash(gettext("Taken off the topic page."), "success")
    return redirect(url_for(".question", question_id=item.id))
