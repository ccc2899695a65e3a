"""Typed SQLAlchemy 2.0 models, one module per aggregate; no Flask application code here."""

from .audit import (
    AuditEvent,
    Guarded,
    audit_row,
    audit_values,
    insert_audit,
    insert_audit_values,
    record_event,
)
from .base import UTCDateTime, utcnow
from .campaign import AwarenessDay, Campaign
from .evidence import SessionPhoto
from .feed import FeedScope, FeedToken
from .kit import EquipmentKit
from .lecture_session import LectureSession, SessionStatus, session_helper
from .notification import Notification
from .order import Feedback, Offer, Order, order_topic
from .place import Blackout, HolidayOverride, Market, School, SchoolTerm, Township, Village
from .question import Question
from .request_key import OrderRequestKey
from .setting import FilmSeason
from .stamp import ChangeStamp, current_stamp
from .topic import Topic
from .user import ApiToken, Leave, Member, PoliceType, Role, User, member_topic, vice_principal

__all__ = [
    "ApiToken", "AuditEvent", "Guarded", "audit_row", "audit_values", "insert_audit", "insert_audit_values", "record_event", "Blackout", "ChangeStamp", "current_stamp", "EquipmentKit", "FeedScope", "FeedToken", "Feedback", "FilmSeason",
    "HolidayOverride",
    "LectureSession", "Leave", "Market", "Member", "Notification", "Offer", "Order", "PoliceType", "Question", "OrderRequestKey",
    "Role", "School", "SchoolTerm", "SessionPhoto", "SessionStatus", "Topic", "Township",
    "UTCDateTime", "User", "Village", "member_topic", "order_topic", "session_helper", "utcnow",
    "vice_principal", "AwarenessDay", "Campaign",
]
