"""Screenshots of the window for the README, in light and dark, at 1440x900 and 900x600,
with realistic data: the four sample templates and 36 more, a few favourites and uses,
two presets and one change the server refused.

Run it on a real X server (the window is shown and painted as a person sees it):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots.py

It writes ``docs/screenshots/*.png`` from a fresh database in a temporary folder (nothing
of the user's is read or changed). Look at every picture after a change to the window.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "screenshots"
SIZES = ((1440, 900), (900, 600))

#: (title, category, description, content): what a writer's library holds after a while.
LIBRARY = (
    (
        "Invoice reminder",
        "Billing",
        "Polite, then firm",
        "<p>Hi [[client]],</p><p>Invoice "
        "[[invoice_no]] for [[amount]] was due on [[due_date]]. Could you let me know when it "
        "will be paid?</p><p>Thanks,<br>[[my_name]]</p>",
    ),
    (
        "Late payment - second notice",
        "Billing",
        "Two weeks after the first",
        "<p>Dear "
        "[[client]],</p><p>We have not yet received payment of [[amount]] for invoice "
        "[[invoice_no]].</p>",
    ),
    (
        "Quote for a new project",
        "Billing",
        "",
        "<p>Hello [[client]],</p><p>Here is our "
        "quote for [[project]]: [[amount]], delivered by [[delivery_date]].</p>",
    ),
    (
        "Payment received",
        "Billing",
        "",
        "<p>Thank you, [[client]]: we received [[amount]] today.</p>",
    ),
    (
        "Welcome to the team",
        "People",
        "First-day email",
        "<p>Welcome aboard, "
        "[[first_name]]!</p><p>Your first day starts at [[time]] with [[buddy]].</p>",
    ),
    (
        "Interview invitation",
        "People",
        "",
        "<p>Dear [[first_name]],</p><p>We would like to "
        "invite you to an interview for the [[job_title]] role on [[date]].</p>",
    ),
    (
        "Reference request",
        "People",
        "",
        "<p>Dear [[referee]],</p><p>[[candidate]] has "
        "applied for a position with us and named you as a referee.</p>",
    ),
    (
        "Rejection, kindly",
        "People",
        "After an interview",
        "<p>Dear [[first_name]],</p>"
        "<p>Thank you for meeting us. We have decided not to go ahead this time.</p>",
    ),
    (
        "Leave approved",
        "People",
        "",
        "<p>Hi [[first_name]], your leave from [[start]] to [[end]] is approved. Enjoy!</p>",
    ),
    (
        "Weekly update",
        "Work",
        "Every Friday",
        "<h2>Week [[week]]</h2><ul><li>Done: "
        "[[done]]</li><li>Next: [[next]]</li><li>Blocked: [[blocked]]</li></ul>",
    ),
    (
        "Project kickoff agenda",
        "Work",
        "",
        "<h1>[[project]] kickoff</h1><ol><li>Goals</li>"
        "<li>Roles</li><li>Timeline</li><li>Questions</li></ol>",
    ),
    (
        "Status report for the board",
        "Work",
        "Quarterly",
        "<p>Quarter [[quarter]]: revenue [[revenue]], [[headline]].</p>",
    ),
    (
        "Out of office",
        "Work",
        "",
        "<p>I am away until [[return_date]]. For anything urgent, please write to [[backup]].</p>",
    ),
    (
        "Meeting request",
        "Work",
        "",
        "<p>Hi [[first_name]], could we meet on [[date]] about "
        "[[topic]]? Thirty minutes should do.</p>",
    ),
    (
        "Decline a meeting",
        "Work",
        "",
        "<p>Thanks for the invitation, [[first_name]]. I "
        "cannot make [[date]]; could we find another time?</p>",
    ),
    (
        "Introduction of two contacts",
        "Work",
        "",
        "<p>[[first]], meet [[second]]. You both "
        "work on [[topic]], and I think you should talk.</p>",
    ),
    (
        "Press release",
        "Writing",
        "Launch announcement",
        "<h1>[[company]] launches [[product]]</h1><p><b>[[city]], [[date]]</b> - [[summary]]</p>",
    ),
    (
        "Newsletter intro",
        "Writing",
        "",
        "<p>Hello, and welcome to issue [[issue]] of [[newsletter]]. This month: [[topics]].</p>",
    ),
    ("Book review", "Writing", "", "<h2>[[book]] by [[author]]</h2><p>[[verdict]]</p>"),
    (
        "Podcast show notes",
        "Writing",
        "",
        "<h2>Episode [[number]]: [[title]]</h2><p>With "
        "[[guest]].</p><ul><li>[[topic_one]]</li><li>[[topic_two]]</li></ul>",
    ),
    (
        "Author bio, short",
        "Writing",
        "For guest posts",
        "<p>[[my_name]] writes about [[subject]] and lives in [[city]].</p>",
    ),
    (
        "Pitch to an editor",
        "Writing",
        "",
        "<p>Dear [[editor]],</p><p>I would like to pitch "
        "a piece on [[topic]] for [[publication]].</p>",
    ),
    (
        "Customer apology",
        "Support",
        "When we got it wrong",
        "<p>Dear [[customer]],</p><p>I "
        "am sorry about [[problem]]. We have [[fix]], and [[gesture]].</p>",
    ),
    (
        "Refund confirmation",
        "Support",
        "",
        "<p>Hi [[customer]], we have refunded [[amount]] "
        "to your card. It should arrive within [[days]] days.</p>",
    ),
    (
        "Shipping delay",
        "Support",
        "",
        "<p>Hi [[customer]], your order [[order]] will "
        "arrive on [[new_date]] instead of [[old_date]]. Sorry for the wait.</p>",
    ),
    (
        "Password reset help",
        "Support",
        "",
        "<p>Hi [[customer]], use the link "
        "[[reset_link]] to choose a new password. It works for 24 hours.</p>",
    ),
    (
        "Feature request reply",
        "Support",
        "",
        "<p>Thanks for the idea, [[customer]]! I have "
        "passed it to the team working on [[area]].</p>",
    ),
    (
        "Bug report acknowledgement",
        "Support",
        "",
        "<p>Thanks, [[customer]]: we can reproduce [[bug]] and are working on a fix.</p>",
    ),
    (
        "Happy birthday",
        "Personal",
        "",
        "<p>Happy birthday, [[first_name]]! Have a wonderful day.</p>",
    ),
    (
        "Condolences",
        "Personal",
        "",
        "<p>Dear [[first_name]], I was so sorry to hear about [[name]].</p>",
    ),
    (
        "Congratulations on the new job",
        "Personal",
        "",
        "<p>Congratulations, [[first_name]]! [[company]] is lucky to have you.</p>",
    ),
    (
        "Wedding RSVP",
        "Personal",
        "",
        "<p>Thank you for the invitation! [[we]] will [[attend]] on [[date]].</p>",
    ),
    (
        "LinkedIn connection note",
        "Networking",
        "",
        "<p>Hi [[first_name]], we met at [[event]]. I would be glad to stay in touch.</p>",
    ),
    (
        "Coffee chat follow-up",
        "Networking",
        "",
        "<p>Great to chat today, [[first_name]]. Here is the [[resource]] I mentioned.</p>",
    ),
    (
        "Event invitation",
        "Networking",
        "",
        "<p>You are invited to [[event]] on [[date]] at [[place]]. RSVP by [[rsvp_date]].</p>",
    ),
    (
        "Speaker thank-you",
        "Networking",
        "",
        "<p>Dear [[speaker]], thank you for your talk on [[topic]] at [[event]].</p>",
    ),
)
FAVOURITES = ("Invoice reminder", "Weekly update", "Meeting follow-up", "Customer apology")
USED = ("Job offer", "Weekly update", "Invoice reminder", "Customer apology", "Thank-you note")


def build(folder: Path) -> Path:
    from desktop.store import outbox
    from desktop.store import quickfill as data
    from desktop.store.db import open_database
    from desktop.store.services import Store
    from desktop.sync.config import SyncSettings, save_settings
    from desktop.ui.samples import add_samples

    path = folder / "gravy.db"
    store = Store(open_database(path))
    for title, category, description, content in LIBRARY:
        store.create_template(title, category=category, description=description, content=content)
    add_samples(store)
    by_title = {t.title: t.templateId for t in store.list_templates(limit=1000)}
    for title in FAVOURITES:
        data.set_favourite(store, by_title[title], True)
    for title in USED:
        store.record_use(by_title[title], action="populate")
    store.create_preset("Me at work", values={"my_name": "Ann Lee", "company": "Gravy Ltd"})
    store.create_preset("Billing", values={"my_name": "Ann Lee, Accounts"})
    save_settings(store, SyncSettings(user_id="ann", endpoint_url="http://127.0.0.1:9"))
    refused = by_title["Press release"]
    while True:  # as if synced, but for one change the server refused
        with store.database.write() as session:
            claimed = outbox.claim(session, 10_000)
            for entry in claimed:
                if entry.record_id == refused and entry.entity == "template":
                    outbox.fail(session, entry.id, "ValidationException", "Item size exceeded")
                else:
                    outbox.complete(session, entry.id)
        if not claimed:
            break
    store.database.close()
    return path


def shoot(widget: object, name: str) -> None:
    from PySide6.QtWidgets import QApplication

    for _ in range(5):
        QApplication.processEvents()
    target = OUT / f"{name}.png"
    assert widget.grab().save(str(target)), target  # type: ignore[attr-defined]
    print(target)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gravy-shots-"))
    os.environ["XDG_CONFIG_HOME"] = str(folder)  # window settings of its own
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    sys.path.insert(0, str(HERE.parent))
    OUT.mkdir(exist_ok=True)
    path = build(folder)

    from PySide6.QtCore import QTimer

    from desktop.app import build_window
    from desktop.store.db import open_database
    from desktop.store.services import Store
    from desktop.ui import theme
    from desktop.ui.application import make_application
    from desktop.ui.settings import SettingsDialog

    app = make_application()
    store = Store(open_database(path))
    for appearance in ("light", "dark"):
        theme.choose(appearance)
        for width, height in SIZES:
            window = build_window(store, start_sync=False)
            window.resize(width, height)
            window.show()
            row = next(
                r
                for r in range(window.model.rowCount())
                if window.model.template_at(r).title == "Job offer"
            )
            window.list.setCurrentIndex(window.model.index(row))
            shoot(window, f"window_{appearance}_{width}x{height}")
            if (width, height) == SIZES[0]:
                window.search.setText("zebra crossing")
                QTimer.singleShot(0, lambda: None)
                window.model.set_query("zebra crossing")
                shoot(window, f"no_results_{appearance}")
                window.search.clear()
                window.sidebar.setCurrentRow(window.FAILED)
                shoot(window, f"failed_{appearance}")
                window.sidebar.setCurrentRow(window.CONFLICTS)
                shoot(window, f"no_conflicts_{appearance}")
                window.sidebar.setCurrentRow(0)
                window.editor.actions_by_name["quickfill"].trigger()
                palette = window.quick_fill.palette  # type: ignore[attr-defined]
                shoot(palette, f"quick_fill_{appearance}")
                palette.cancel()
                dialog = SettingsDialog(store, window.tasks, window)
                dialog.show()
                for _ in range(2):  # folded (as a writer sees it) and open
                    folded = not dialog.advanced.isChecked()
                    shoot(
                        dialog,
                        f"settings_{appearance}" if folded else f"settings_advanced_{appearance}",
                    )
                    dialog.advanced.click()
                dialog.reject()
            window.close()
            window.deleteLater()
            app.processEvents()
    store.database.close()
    empty = Store(open_database(path.with_name("empty.db")))
    for appearance in ("light", "dark"):
        theme.choose(appearance)
        window = build_window(empty, start_sync=False)
        window.resize(*SIZES[1])
        window.show()
        shoot(window, f"first_run_{appearance}")
        window.close()
    empty.database.close()
    theme.choose("system")


if __name__ == "__main__":
    main()
