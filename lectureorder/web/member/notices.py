"""A member's in-app notices (offers, bookings, moves, reminders)."""

from ..access import member_required
from ..notices import register
from . import bp

register(bp, member_required, "member.notices")
