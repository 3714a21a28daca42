"""Safety events: the one place that records that coaching stopped for a member's safety.

The event names the member, the dialogue and the kind of concern (cue categories such as ``at_the_limit``), never
the message text: what the member wrote stays in their own dialogue.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sales_growth.accounts.events import record_event
from sales_growth.analysis.coach.safety import SafetyConcern


def record_safety_event(session: Session, *, member_id: int, dialogue_id: int, concern: SafetyConcern) -> None:
    record_event(
        "safety_event",
        session=session,
        actor_id=member_id,
        target_id=dialogue_id,
        target_type="dialogue",
        level=concern.level,
        cues=list(concern.cues),
    )
