"""A Japanese-capable font for matplotlib figures, when the machine has one.

matplotlib's default font has no kana or kanji: Japanese labels come out as
empty boxes. ``use_cjk_font`` puts the first installed CJK family first in the
sans-serif list and says whether it found one, so a figure can carry a note
(or fall back to English labels) instead of silently drawing boxes.
"""

from __future__ import annotations

from functools import cache

CJK_FAMILIES = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "TakaoGothic",
    "Hiragino Sans",
    "Yu Gothic",
    "Meiryo",
    "Noto Serif CJK JP",  # a serif face still beats empty boxes
)

FILE_HINTS = ("CJK", "IPAex", "ipaexg", "ipag", "Takao", "NotoSansJP")
"""Parts of the file names of the families above, to find them outside matplotlib's cache."""


@cache
def cjk_family() -> str | None:
    """The first installed family of ``CJK_FAMILIES``, or None."""
    from matplotlib import font_manager

    found = _first_installed(font_manager.fontManager.ttflist)
    if found is None:
        # matplotlib's font cache is written once; fonts installed after it are missing
        # from it (CI installs a Japanese font after the venv): register them now.
        for path in font_manager.findSystemFonts():
            if any(hint in path for hint in FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = _first_installed(font_manager.fontManager.ttflist)
    return found


def _first_installed(fonts: list) -> str | None:
    installed = {f.name for f in fonts}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def use_cjk_font() -> str | None:
    """Prefer the installed CJK family for sans-serif text; the family, or None when there is none."""
    import matplotlib

    family = cjk_family()
    if family is not None:
        current = list(matplotlib.rcParams["font.sans-serif"])
        if not current or current[0] != family:
            matplotlib.rcParams["font.sans-serif"] = [family, *current]
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["axes.unicode_minus"] = False  # CJK faces often lack U+2212
    return family
