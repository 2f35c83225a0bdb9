"""A framework's criteria in words, in the reader's language: the views' one way to name them.

A framework file gives each criterion its own phrases (coaching/frameworks.py); where a custom
file leaves an optional one out, the sentence is said with the criterion's label instead, from
the message catalog. Lists of criteria are joined with the language's own conjunction
(coaching.i18n.join), never glued from translated pieces.
"""

from __future__ import annotations

from collections.abc import Sequence

from coaching.frameworks import Criterion, Framework
from coaching.gaps import ADVICE as GAP_ADVICE
from coaching.gaps import Gap
from coaching.i18n import _, join, local
from coaching.stalls import ADVICE as STALL_ADVICE
from coaching.stalls import CRITERION_DETAIL, Reason


def label(c: Criterion) -> str:
    return local(c.label)


def question(c: Criterion) -> str:
    return local(c.question)


def yes_option(c: Criterion) -> str:
    return local(c.yes) if c.yes else _("Yes")


def no_option(c: Criterion) -> str:
    return local(c.no) if c.no else _("No, not yet")


def answered(c: Criterion) -> str:
    """ "Timeline qualified": the criterion answered yes, as a summary line's label."""
    return local(c.answered) if c.answered else label(c)


def missing(c: Criterion) -> str:
    """ "Buying timeline not qualified": the gap, and the stall reason a manager reads."""
    return local(c.missing)


def ask(c: Criterion) -> str:
    """The question for the buyer that closes the gap."""
    return local(c.ask)


def coach(c: Criterion) -> str:
    """The question a manager asks the rep about a deal stalled on it."""
    if c.coach:
        return local(c.coach)
    return _("What is your plan to get this answered before the next call: “{question}”").format(
        question=question(c)
    )


def focus(c: Criterion) -> str:
    """The skill a team's nudge works on ("qualifying the buying timeline")."""
    return local(c.focus) if c.focus else label(c)


def lacking(c: Criterion) -> str:
    """What a stalled deal lacks ("a qualified timeline")."""
    return local(c.lacking) if c.lacking else label(c)


def done(c: Criterion, count: int) -> str:
    """How many calls answered it yes ("4 qualified the timeline")."""
    if c.done:
        return local(c.done).format(count=count)
    return _("{label}: {count}").format(label=label(c), count=count)


def gap_label(framework: Framework, gap: str) -> str:
    criterion = framework.criterion(gap)
    return missing(criterion) if criterion else _(GAP_ADVICE[Gap.NEXT_STEP].label)


def gap_question(framework: Framework, gap: str) -> str:
    criterion = framework.criterion(gap)
    return ask(criterion) if criterion else _(GAP_ADVICE[Gap.NEXT_STEP].question)


def reason_label(framework: Framework, reason: str) -> str:
    """A stall reason in a manager's words: the criterion's, or gone quiet / overdue."""
    criterion = framework.criterion(reason)
    if criterion is not None:
        return missing(criterion)
    return _(STALL_ADVICE[Reason(reason)].label)


def reason_detail(reason: str) -> tuple[str, str]:
    """The catalog's (singular, plural) for how long the reason has held, with "{days}"."""
    if reason == Reason.QUIET or reason == Reason.OVERDUE:
        return STALL_ADVICE[Reason(reason)].detail
    return CRITERION_DETAIL


def reason_question(framework: Framework, reason: str) -> str:
    criterion = framework.criterion(reason)
    if criterion is not None:
        return coach(criterion)
    return _(STALL_ADVICE[Reason(reason)].question)


def what_moves_a_deal(framework: Framework) -> str:
    """ "qualifies the timeline, reaches the decision authority, or sets a dated next step"."""
    criteria = framework.criteria
    if all(c.moves for c in criteria):
        return join(
            [*(local(c.moves) for c in criteria if c.moves), _("sets a dated next step")],
            either=True,
        )
    return _("gets a yes to one of its questions, or sets a dated next step")


def what_qualifies(criteria: Sequence[Criterion]) -> str:
    """ "a qualified timeline or decision authority": what a stalled deal lacks."""
    return join([lacking(c) for c in criteria], either=True)
