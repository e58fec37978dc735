"""The desk's words for what happened to a call: one vocabulary for the window, its history and the command line.

The agent sends ("Send"); while Termii has not answered the call is "Sending…"; afterwards it is one of four
outcomes, each with a short word (the history column, the command line's first word) and a headline that
says what is known, and no more: "Sent" means Termii accepted the call, not that the customer heard it.
``severity`` decides the colour everywhere: good (green), warning (amber), bad (red).
"""

from __future__ import annotations

from dataclasses import dataclass

from termii_desk.core.errors import Outcome

SEND = "Send"
SENDING = "Sending…"


@dataclass(frozen=True)
class OutcomeWords:
    word: str  # "Sent"
    headline: str  # "Sent: Termii accepted the call"
    severity: str  # "good", "warning" or "bad"


OUTCOME_WORDS = {
    Outcome.SENT: OutcomeWords("Sent", "Sent: Termii accepted the call", "good"),
    Outcome.UNKNOWN: OutcomeWords("Unknown", "Unknown: check before sending again", "warning"),
    Outcome.REJECTED: OutcomeWords("Refused", "Refused: not sent", "bad"),
    Outcome.FAILED: OutcomeWords("Failed", "Failed: not sent", "bad"),
}


def outcome_words(outcome: Outcome | str) -> OutcomeWords:
    """The words for an outcome, or for its stored value; anything not known reads as unknown."""
    try:
        return OUTCOME_WORDS[Outcome(outcome)]
    except ValueError:
        return OUTCOME_WORDS[Outcome.UNKNOWN]


def count_of_calls(count: int) -> str:
    """"1 call", "1,234 calls"."""
    return f"{count:,} call" + ("" if count == 1 else "s")

# History's reason for a call whose answer the agent chose not to wait for (closing the window during it).
CLOSED_BEFORE_ANSWER = (
    "The window was closed before Termii answered; the call may have been placed. Check before sending again."
)

# -- the keyring, as an agent knows it ---------------------------------------------------------------------

# keyring's backend names (``module-tail ClassName``), as the operating system calls the same thing.
_KEYRING_WORDS = {
    "SecretService Keyring": "GNOME Keyring (your login keyring)",
    "libsecret Keyring": "GNOME Keyring (your login keyring)",
    "kwallet DBusKeyring": "KDE Wallet",
    "kwallet DBusKeyringKWallet4": "KDE Wallet",
    "macOS Keyring": "macOS Keychain",
    "Windows WinVaultKeyring": "Windows Credential Manager",
}
SYSTEM_KEYRING = "the system keyring"


def keyring_words(backend: str, desktop: str = "") -> str:
    """The keyring a backend stands for, in the words of the agent's system: "GNOME Keyring (your login
    keyring)", "macOS Keychain", "Windows Credential Manager". ``desktop`` is ``XDG_CURRENT_DESKTOP``: on KDE the
    Secret Service is KDE Wallet's. An unknown backend keeps its own name; none is "the system keyring"."""
    words = _KEYRING_WORDS.get(backend.strip())
    if words is None:
        return backend.strip() or SYSTEM_KEYRING
    if words.startswith("GNOME") and "KDE" in desktop.upper().split(":"):
        return "KDE Wallet (your login keyring)"
    return words


PASTE_KEY = "Paste your API key"
REPLACE_KEY = "Paste a new key to replace the stored one"
WHERE_THE_KEY_IS = "Copy it from your Termii dashboard (accounts.termii.com), where it is shown with your base URL."


def previous_crash(saved_at: str) -> str:
    """The notice at the start after a windowed desk crashed (its stacks were written to the crash file)."""
    return (f"Termii Desk closed unexpectedly last time. Check the history for a call that may not have finished. "
            f"What the desk was doing is saved in {saved_at}: send that file to whoever looks after the desk.")
