"""The pages a person installing Deal Coach reads in their browser: "Add to Slack", then that
it worked, or why not. Plain HTML with every sentence from the catalog and every value
escaped; no script, no outside resource."""

from __future__ import annotations

from html import escape

from coaching.i18n import _

_STYLE = (
    "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:36rem;"
    "margin:4rem auto;padding:0 1rem;color:#1d1c1d;line-height:1.5}"
    "a.button{display:inline-block;background:#1f4e5f;color:#fff;padding:.6rem 1.2rem;"
    "border-radius:6px;text-decoration:none;font-weight:600}"
)


def _page(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def install_page(authorize_url: str) -> str:
    """GET /slack/install: what the app does, and the link to Slack's consent screen."""
    return _page(
        _("Install Deal Coach"),
        escape(
            _(
                "Deal Coach asks your reps a few questions after every sales call and tells "
                "their managers which deals are stuck and why."
            )
        ),
        f'<a class="button" href="{escape(authorize_url, quote=True)}">'
        f"{escape(_('Add to Slack'))}</a>",
    )


def installed_page(workspace: str, open_url: str) -> str:
    """After Slack's consent screen, when the install was stored."""
    return _page(
        _("Deal Coach is installed"),
        escape(_("Deal Coach is now installed in {workspace}.").format(workspace=workspace)),
        escape(_("In Slack, type /debrief after your next call.")),
        f'<a class="button" href="{escape(open_url, quote=True)}">{escape(_("Open Slack"))}</a>',
    )


def install_failed_page(reason: str) -> str:
    """The install did not complete: cancelled, a stale link, or Slack refused the code."""
    return _page(
        _("Deal Coach was not installed"),
        escape(
            _("The installation did not complete ({reason}). Nothing was stored.").format(
                reason=reason
            )
        ),
        escape(_("Start again from the Add to Slack page.")),
    )


def org_wide_refused_page() -> str:
    """An Enterprise Grid org-wide install: not supported, said plainly."""
    return _page(
        _("Deal Coach was not installed"),
        escape(
            _(
                "Deal Coach installs into one workspace at a time, not across a whole "
                "Enterprise Grid organisation. Nothing was stored."
            )
        ),
        escape(
            _(
                "Ask an admin to install it into each workspace that needs it: choose the "
                "workspace on Slack's install screen instead of the organisation."
            )
        ),
    )


def not_installed() -> str:
    """What a person reads when their workspace has no installation (it left, or never
    installed): their command or click is answered with this and nothing else."""
    return _("Deal Coach is not installed in this workspace. Ask an admin to install it.")
