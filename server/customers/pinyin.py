"""The pinyin of a person's or an organisation's name, for search on the phone.

A manager types "chen" or "c" for 陈, "zf" or "zhangfang" for 张芳. The phone's
JavaScript budget has no room for a pinyin dictionary, so the server spells each
name once, when it is written, and the phone matches plain ASCII
(webclient/src/data/portfolio.ts).

The stored form is one or more readings separated by "|", each reading its
syllables separated by spaces: 张芳 -> "zhang fang". A name's first character is
usually a surname, and some surnames are read apart from the dictionary (单 shan,
曾 zeng, 解 xie, 朴 piao, 仇 qiu): for those the surname's reading is kept after the
dictionary's, 单田芳 -> "dan tian fang|shan tian fang", so whatever the manager says
finds the customer. (Not every reading of the character: 石 dan or 王 yu would only
find strangers.) The rest of the name takes its reading in context (pypinyin's
phrase dictionary: 重庆 chong qing, 银行 yin hang). ü is written v, as phone keyboards
type it (吕 lv). Letters and digits in a name (3M, ABC) are words of their own, in
lower case. A name without a Chinese character has no pinyin (None): the phone's
name match finds it.

This module imports nothing from the application: migration 0012 uses it to fill
the rows that existed before it.
"""

import re

# Its phrase dictionary costs each process ~55 MB and most of a second at import; it is
# what reads 银行 yin hang and 长沙 chang sha (PYPINYIN_NO_PHRASES would save it, at
# that price).
from pypinyin import Style, lazy_pinyin

READINGS = "|"
SYLLABLES = " "

# Surnames whose reading differs from the dictionary's reading of the character
# (from the Hundred Family Surnames, 百家姓); compound surnames (尉迟 yu chi, 长孙
# zhang sun, 万俟 mo qi) are in pypinyin's phrase dictionary already.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "朴": "piao",
    "区": "ou",
    "仇": "qiu",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "尉": "yu",
    "召": "shao",
    "种": "chong",
    "秘": "bi",
    "员": "yun",
    "黑": "he",
    "繁": "po",
    "隗": "wei",
    "句": "gou",
    "折": "she",
    "宓": "fu",
    "祭": "zhai",
    "长": "chang",
    "薄": "bo",
    "阚": "kan",
    "粘": "nian",
    "都": "du",
    "澹": "tan",
    "蕃": "pi",
    "卜": "bu",
    "重": "chong",
    "藏": "zang",
    "角": "jue",
    "能": "nai",
    "适": "kuo",
}

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[0-9a-z]+")


def name_pinyin(name: str | None) -> str | None:
    """The name's readings in the stored form, or None for a name with no Chinese."""
    name = (name or "").strip()
    if not _HAN.search(name):
        return None
    syllables: list[str] = []
    for part in lazy_pinyin(name, style=Style.NORMAL, v_to_u=False):
        # Han characters come one syllable each; anything else as the text it was.
        syllables += _WORD.findall(part.lower())
    if not syllables:
        return None
    readings = [syllables]
    surname = SURNAME_READINGS.get(name[0])
    if surname is not None and surname != syllables[0]:
        readings.append([surname, *syllables[1:]])
    return READINGS.join(SYLLABLES.join(reading) for reading in readings)
