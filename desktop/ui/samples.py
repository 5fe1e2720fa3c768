"""A few sample templates a first run offers (an empty database), added through the store
like any template a writer makes: they sync, and can be edited or deleted."""

from __future__ import annotations

from desktop import domain
from desktop.store.services import Store

SAMPLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Thank-you note",
        "Personal",
        "A short thank-you after a meeting or a gift",
        "<p>Dear [[first_name]],</p><p>Thank you for [[what_for]]. It meant a lot to me, "
        "and I am already looking forward to [[next_time]].</p><p>Warmly,<br>[[my_name]]</p>",
    ),
    (
        "Meeting follow-up",
        "Work",
        "Decisions and next steps, sent the same day",
        "<p>Hi [[first_name]],</p><p>Thanks for your time today. Here is what we agreed:</p>"
        "<ul><li>[[decision]]</li><li>Next step: [[next_step]] by [[due_date]]</li></ul>"
        "<p>Best,<br>[[my_name]]</p>",
    ),
    (
        "Job offer",
        "Work",
        "The offer letter for a new colleague",
        "<p>Dear [[first_name]],</p><p>We are delighted to offer you the position of "
        "<b>[[job_title]]</b> at [[company]], starting on [[start_date]].</p>"
        "<p>Please reply by [[reply_by]] to accept.</p><p>Kind regards,<br>[[my_name]]</p>",
    ),
    (
        "Blog post outline",
        "Writing",
        "Hook, three points and a close",
        "<h1>[[headline]]</h1><p>[[hook]]</p><h2>[[point_one]]</h2><p></p>"
        "<h2>[[point_two]]</h2><p></p><h2>[[point_three]]</h2><p></p><p>[[closing_line]]</p>",
    ),
)


def add_samples(store: Store) -> list[domain.Template]:
    """Create the sample templates (one click at first run)."""
    return [
        store.create_template(title, category=category, description=description, content=content)
        for title, category, description, content in SAMPLES
    ]
