"""Reading a decoded record into a :class:`Transcript`: format, utterances, and who is who.

Formats: dialogue with speaker labels (``上司：``, ``課長:``, ``佐藤（マネージャー）：``, ``【新人】``, ``A:`` with a
legend, bare names), memos (bullets, headings, Markdown tables), WebVTT (``<v 名前>`` voice tags or ``名前:``
inside cues) and SRT. Every utterance is an exact slice of the source, so any part of it is verbatim evidence.

Roles come from, in order: role words in the label itself (``課長``, ``新人``), the header lines that introduce the
participants (``佐藤（課長）／田中（入社1年目）``, ``A=佐藤課長``), and finally the shape of the conversation (who asks
and gives feedback, who reports and answers ``はい``). Without any such sign nobody is made a junior, so a meeting
or a counselling chat gets no skill findings.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

from sales_growth.analysis.transcript import Format, Role, Transcript, Utterance

MANAGER_WORDS = (
    "上司",
    "上長",
    "課長",
    "部長",
    "係長",
    "所長",
    "店長",
    "支店長",
    "室長",
    "次長",
    "本部長",
    "マネージャー",
    "マネジャー",
    "マネ",
    "リーダー",
    "MGR",
    "Mgr",
    "GM",
    "主任",
    "面談者",
    "トレーナー",
    "先輩",
    "メンター",
)
JUNIOR_WORDS = (
    "新人",
    "部下",
    "メンバー",
    "本人",
    "自分",
    "若手",
    "新入社員",
    "入社",
    "年目",
    "対象",
    "担当者",
    "後輩",
    "新卒",
    "研修生",
)
OTHER_WORDS = (
    "カウンセラー",
    "counselor",
    "client",
    "相談者",
    "司会",
    "顧客",
    "お客様",
    "客",
)
# Someone who sits in without being coached (「今井（3年目・同席）」): not judged, whatever else describes them.
OBSERVER_WORDS = ("同席", "オブザーバー", "見学")
# Someone who trains the junior gives feedback as a manager does, though they may be only a year or two ahead
# (「藤井（2年目・OJT担当）」): these words win over a junior's.
MENTOR_WORDS = ("OJT担当", "OJTトレーナー", "指導担当", "教育担当", "育成担当", "指導役", "教育係")

_LABEL = (
    r"(?P<label>[^\s:：「」『』、。()（）【】＜＞<>〈〉]{1,16}?(?:[ 　][^\s:：「」『』、。()（）【】＜＞<>〈〉]{1,8})?)"
)
_PAREN = r"(?:[（(](?P<paren>[^）)]{1,20})[）)])?"
_BRACKETED = r"[【\[［＜〈<](?P<bracket>[^】\]］＞〉>]{1,16})[】\]］＞〉>][ 　]*[:：]?"
SPEAKER_LINE = re.compile(rf"^[ 　]*(?:{_BRACKETED}|{_LABEL}[ 　]*{_PAREN}[ 　]*[:：＞>])[ 　]*(?P<text>\S.*)$")
QUOTE_LINE = re.compile(r"^[ 　]*(?P<label>[^\s「」:：]{1,8})「(?P<text>.+)」[ 　]*$")
VTT_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+(?P<label>[^>]+)>(?P<text>.*?)(?:</v>|$)")
TIMESTAMP = re.compile(r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->\s*")
CUE_NUMBER = re.compile(r"^\s*\d+\s*$")
BULLET = re.compile(r"^[ 　]*(?:[-*+・●○◯■□◆◇▶▷★☆※→>#]+|\d+[.)．、]|[①-⑳])[ 　]*")
METADATA = re.compile(
    r"^[ 　]*(?:[^\s:：]{0,4}日時|日付|日程|実施日|面談日|時間|場所|参加者?|同席者?|出席者?|トークルーム"
    r"|記録者?|記入者|記|作成者?|面談者|対象者?|テーマ|議題|案件|前回|形式|件名|宛先|所属|部署)[ 　]*[:：]"
)
DATE_HINT = re.compile(r"\d{4}[/年.-]\d{1,2}|\d{1,2}/\d{1,2}|\d{1,2}月\d{1,2}日")
LEGEND = re.compile(r"(?P<key>[A-ZＡ-Ｚa-z])[ 　]*[=＝:：][ 　]*(?P<who>[^、,，/／\s)）]+)")
# One entry of a participants line: 「岡田＝岡田 真由（学校営業部 1年目）」「A：上野（課長）」「藤田（ISリーダー）」.
_ENTRY = re.compile(
    r"^[ 　]*(?P<key>[^\s＝=：:（()）]{1,12}?)[ 　]*(?:[（(](?P<paren>[^）)]*)[）)])?"
    r"[ 　]*(?:[＝=：:][ 　]*(?P<desc>.*))?$"
)
_ENTRY_BREAKS = frozenset("／/、，,　\n\t|×")
_OBSERVERS = re.compile(rf"(?:{'|'.join(OBSERVER_WORDS)})者?[ 　]*[:：][ 　]*(?P<names>[^）)\n]+)")
# A line that introduces two speakers at once: 「A：上野（課長）　B：佐野（1年目）」「石橋＝マネージャー／早川＝新人」.
_LEGEND_LINE = re.compile(
    r"^[ 　]*[^\s：:＝=「」]{1,12}[ 　]*[：:＝=][^：:＝=「」。\n]{1,40}"
    r"[　／/、,|][ 　]*[^\s：:＝=「」]{1,12}[ 　]*[：:＝=]"
)
# The title line of a chat app's export: 「[LINE] 森（1on1）とのトーク履歴」「LINE WORKS トーク保存」.
_EXPORT_TITLE = re.compile(r"トーク履歴|トーク保存|チャット(?:の)?(?:書き出し|エクスポート|ログ)")
# A chat export's time stamp before the speaker: 「[16:02] 林＞ …」「17:01 上田：…」.
CHAT_TIME = re.compile(
    r"^[ 　]*[\[［(（]?(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}[ 　T])?\d{1,2}:\d{2}(?::\d{2})?[\]］)）]?[ 　\t]+"
)
# A chat app's tab-separated export: 「18:02<TAB>木下<TAB>おつかれさま」.
TAB_LINE = re.compile(r"^(?P<label>[^\t]{1,16})\t(?P<text>\S.*)$")
_TRAILING_HONORIFIC = re.compile(r"(?:さん|くん|君|様|氏)$")


@dataclass
class _Line:
    speaker: str | None
    start: int
    end: int


def read_transcript(text: str, *, filename: str | None = None) -> Transcript:
    """Parse ``text`` (already decoded) into utterances with speakers and roles."""
    fmt = _detect_format(text, filename)
    if fmt == "vtt":
        lines = _read_vtt(text)
    elif fmt == "srt":
        lines = _read_srt(text)
    else:
        lines = _read_plain(text)
        if fmt == "dialogue" and not any(line.speaker for line in lines):
            fmt = "memo"
        elif fmt == "dialogue":
            lines = _without_title_lines(lines)
    header = _header_text(text, lines)
    roles = _infer_roles(lines, header, text)
    utterances = tuple(
        Utterance(
            speaker=line.speaker,
            role=roles.get(line.speaker, "unknown") if line.speaker else "narrator",
            text=text[line.start : line.end],
            start=line.start,
            end=line.end,
        )
        for line in lines
        if line.end > line.start
    )
    junior = next((s for s, r in roles.items() if r == "junior"), None)
    manager = next((s for s, r in roles.items() if r == "manager"), None)
    return Transcript(source=text, format=fmt, utterances=utterances, roles=roles, junior=junior, manager=manager)


def _detect_format(text: str, filename: str | None) -> Format:
    suffix = PurePath(filename).suffix.lower() if filename else ""
    head = text.lstrip("\ufeff \n")[:200]
    if suffix == ".vtt" or head.startswith("WEBVTT"):
        return "vtt"
    if suffix == ".srt" or re.match(r"\d+\s*\n\s*\d{1,2}:\d{2}:\d{2},\d{3}\s*-->", head):
        return "srt"
    lines = [line for line in text.splitlines() if line.strip()]
    labelled = sum(
        1 for line in lines if not BULLET.match(line) and (SPEAKER_LINE.match(line) or QUOTE_LINE.match(line))
    )
    return "dialogue" if lines and labelled >= max(2, len(lines) * 0.3) else "memo"


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " 　\t\r":
        start += 1
    while end > start and text[end - 1] in " 　\t\r":
        end -= 1
    return start, end


def _read_plain(text: str) -> list[_Line]:
    lines: list[_Line] = []
    for start, end in _line_spans(text):
        raw = text[start:end]
        stamp = CHAT_TIME.match(raw)
        # A chat line that mentions the date and the 1on1 is still a line of the chat.
        if not raw.strip() or (not stamp and _is_metadata(raw)):
            continue
        offset = start
        if stamp:
            offset, raw = start + stamp.end(), raw[stamp.end() :]
        # Bulleted and heading lines are memo text even when they hold a colon ("・次回までに：…").
        match = None if BULLET.match(raw) else SPEAKER_LINE.match(raw) or QUOTE_LINE.match(raw)
        if stamp and (tabbed := TAB_LINE.match(raw)):
            match = tabbed
        label = (match.group("bracket") if match and "bracket" in match.groupdict() else None) if match else None
        label = label or (match.group("label") if match else None)
        if match and label and _plausible_label(label, raw):
            text_start = offset + match.start("text")
            text_end = offset + match.end("text")
            lines.append(_Line(_clean_label(label), *_strip_span(text, text_start, text_end)))
            continue
        lines.extend(_memo_line(text, start, end))
    return lines


def _without_title_lines(lines: list[_Line]) -> list[_Line]:
    """Short unlabelled lines before the first speaker are a title or a legend, not part of the talk."""
    first = next(i for i, line in enumerate(lines) if line.speaker)
    return [line for i, line in enumerate(lines) if i >= first or line.end - line.start >= 80]


def _memo_line(text: str, start: int, end: int) -> list[_Line]:
    raw = text[start:end]
    if raw.strip().startswith("|"):
        if re.fullmatch(r"[\s|:\-]+", raw):
            return []
        cells, offset = [], start
        for cell in raw.split("|"):
            cell_start, cell_end = _strip_span(text, offset, offset + len(cell))
            if cell_end > cell_start:
                cells.append(_Line(None, cell_start, cell_end))
            offset += len(cell) + 1
        return cells
    bullet = BULLET.match(raw)
    body_start = start + (bullet.end() if bullet else 0)
    body_start, body_end = _strip_span(text, body_start, end)
    return [_Line(None, body_start, body_end)] if body_end > body_start else []


def _is_metadata(raw: str) -> bool:
    stripped = raw.strip()
    if METADATA.match(stripped) or stripped.startswith(("WEBVTT", "NOTE", "※")):
        return True
    if _LEGEND_LINE.match(stripped) and "。" not in stripped and len(stripped) < 90:
        return True
    if _EXPORT_TITLE.search(stripped) and len(stripped) < 90:
        return True
    return bool(DATE_HINT.search(stripped) and "1on1" in stripped.lower() and len(stripped) < 90)


def _plausible_label(label: str, raw: str) -> bool:
    # "結論：…", "ポイント：…" are memo headings, not speakers; a speaker label is short and name-like.
    if label.strip().isdigit() or len(label) > 16:
        return False
    return not re.search(
        r"(?:結論|ポイント|課題|目標|宿題|次回|背景|理由|内容|状況|結果|所感|振り返り|メモ|記録|TODO|要点)$", label
    )


def _clean_label(label: str) -> str:
    return label.strip().strip("　")


def _read_vtt(text: str) -> list[_Line]:
    lines: list[_Line] = []
    spans = _line_spans(text)
    speaker: str | None = None
    for index, (start, end) in enumerate(spans):
        raw = text[start:end]
        if not raw.strip() or raw.startswith(("WEBVTT", "NOTE")) or TIMESTAMP.match(raw) or "-->" in raw:
            continue
        if index + 1 < len(spans) and "-->" in text[spans[index + 1][0] : spans[index + 1][1]]:
            continue  # a cue identifier line
        voice = VTT_VOICE.search(raw)
        if voice:
            speaker = _clean_label(voice.group("label"))
            lines.append(_Line(speaker, *_strip_span(text, start + voice.start("text"), start + voice.end("text"))))
            continue
        line = _cue_text(text, start, end, speaker)
        if line is not None:
            speaker = line.speaker
            _append_cue_line(lines, line, text)
    return lines


def _read_srt(text: str) -> list[_Line]:
    lines: list[_Line] = []
    speaker: str | None = None
    for start, end in _line_spans(text):
        raw = text[start:end]
        if not raw.strip() or CUE_NUMBER.match(raw) or "-->" in raw:
            continue
        line = _cue_text(text, start, end, speaker)
        if line is not None:
            speaker = line.speaker
            _append_cue_line(lines, line, text)
    return lines


def _append_cue_line(lines: list[_Line], line: _Line, text: str) -> None:
    """A wrapped line of the same cue and speaker joins the line before it, so sentences stay whole."""
    last = lines[-1] if lines else None
    between = text[last.end : line.start] if last is not None else "\n\n"
    if last is not None and last.speaker == line.speaker and not between.strip() and between.count("\n") == 1:
        last.end = line.end
        return
    lines.append(line)


def _cue_text(text: str, start: int, end: int, previous: str | None) -> _Line | None:
    """One line of subtitle text. A line without a speaker label continues the turn of the speaker before it:
    exports wrap long turns over several lines and cues."""
    raw = text[start:end]
    match = SPEAKER_LINE.match(raw)
    if match and match.group("label") and _plausible_label(match.group("label"), raw):
        return _Line(_clean_label(match.group("label")), *_strip_span(text, start + match.start("text"), end))
    if match and match.group("bracket"):
        return _Line(_clean_label(match.group("bracket")), *_strip_span(text, start + match.start("text"), end))
    span = _strip_span(text, start, end)
    return _Line(previous, *span) if span[1] > span[0] else None


def _header_text(text: str, lines: list[_Line]) -> str:
    """Lines before the first spoken utterance, and metadata lines: where participants are introduced."""
    first = next((line.start for line in lines if line.speaker), len(text))
    head = text[:first]
    meta = "\n".join(line for line in text.splitlines()[:12] if _is_metadata(line) or "1on1" in line.lower())
    return head + "\n" + meta


def _infer_roles(lines: list[_Line], header: str, text: str) -> dict[str, Role]:
    counts = Counter(line.speaker for line in lines if line.speaker)
    if not counts:
        return {}
    legend = {m.group("key"): m.group("who") for m in LEGEND.finditer(header)}
    entries = _participants(header)
    roles: dict[str, Role] = {}
    for speaker in counts:
        # The label's own words decide first ("課長：…"), then a legend ("A=佐藤課長"), then the participants
        # line ("岡田＝岡田 真由（1年目）"), then whatever the header says next to the name.
        roles[speaker] = "unknown"
        entry = entries.get(speaker) or entries.get(_name_of(speaker), "")
        for described in (speaker, entry, legend.get(speaker, ""), _header_mention(header, speaker)):
            if described and (role := _role_from_words(described)) != "unknown":
                roles[speaker] = role
                break
    _fill_from_conversation(roles, lines, text, counts)
    return roles


def _name_of(speaker: str) -> str:
    """A label's family name: ``佐藤 真由`` → ``佐藤``, ``林さん`` → ``林``."""
    return _TRAILING_HONORIFIC.sub("", speaker.split(" ", maxsplit=1)[0].split("　", maxsplit=1)[0])


def _participants(header: str) -> dict[str, str]:
    """Who is who, from the header's entries (``部長＝村上（部長）　岡田＝岡田 真由（1年目）``, ``A：上野（課長）``,
    ``参加：野口課長／藤井（2年目）``) and its observers (``同席：大橋``): each key with its description."""
    found: dict[str, str] = {}
    for part in _header_parts(header):
        match = _ENTRY.match(METADATA.sub("", part, count=1))
        if match and (match.group("paren") is not None or match.group("desc")):
            described = " ".join(filter(None, (match.group("paren"), match.group("desc"))))
            found.setdefault(match.group("key").strip("[]［］【】<>＜＞"), described)
    for match in _OBSERVERS.finditer(header):
        for name in re.split(r"[、,，／/・ 　]+", match.group("names")):
            if name:
                found[_TRAILING_HONORIFIC.sub("", name)] = "同席"
    return found


def _header_parts(header: str) -> list[str]:
    """The header cut at separators outside brackets (a description such as 「（営業部 1年目）」 stays whole)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in header:
        depth += char in "（(【["
        depth -= char in "）)】]" and depth > 0
        if depth == 0 and char in _ENTRY_BREAKS:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _header_mention(header: str, speaker: str) -> str:
    """What the header says right after the speaker's name, e.g. ``佐藤（課長）`` → ``課長``."""
    name = _name_of(speaker)
    if not name or len(name) > 12:
        return ""
    found = []
    for match in re.finditer(re.escape(name), header):
        after = header[match.end() : match.end() + 16]
        before = header[max(0, match.start() - 10) : match.start()]
        found.append(re.split(r"[／/×x、,・\n 　）)]", after, maxsplit=1)[0])
        found.append(re.split(r"[／/×x、,・：:\n（(]", before)[-1])
    return " ".join(found)


def _role_from_words(described: str) -> Role:
    # A junior's or a manager's words win over a customer's (「入社1年目・新規接客担当」 is no customer).
    if any(word in described for word in OBSERVER_WORDS):
        return "other"
    if any(word in described for word in MENTOR_WORDS):
        return "manager"
    if any(word in described for word in JUNIOR_WORDS):
        return "junior"
    # 「木下代理」 is how a 課長代理 is addressed; a 代理店 is a partner company.
    if any(word in described for word in MANAGER_WORDS) or described.endswith("代理"):
        return "manager"
    lowered = described.lower()
    if any(word.lower() in lowered for word in OTHER_WORDS):
        return "other"
    return "unknown"


_FEEDBACK = re.compile(
    r"(?:いいね|良かった|よかった|いいと思|してほしい|してください|しよう|しましょう|どうだった|どうでした|どう？|聞かせて)"
)
_DEFERENCE = re.compile(r"^(?:はい|すみません|ありがとうございます|承知|わかりました|了解です)")
_SALES_CONTEXT = re.compile(
    r"(?:商談|訪問|提案|お客様|お客さん|顧客|受注|失注|成約|案件|アポ|見積|営業|契約|申込|申し込み|クロージング|ヒアリング"
    r"|先方|面談|問い合わせ|見込み|担当の|売上|目標|数字|ご担当|お母様|お父様|施主|院長|先生|納期|納品|発注|注文|取引"
    r"|社長|出荷|請求)"
)


_ONE_ON_ONE = re.compile(r"1on1|１on１|1 on 1|ワンオンワン|1対1|面談", re.IGNORECASE)
_POLITE_END = re.compile(
    r"(?:です|ます|でした|ました|ません|ございます|でしょうか)(?:か|ね|よ|けど|が)?[。！？!?…」\s]*$"
)


def _fill_from_conversation(roles: dict[str, Role], lines: list[_Line], text: str, counts: Counter[str]) -> None:
    """Place the two main speakers by how they talk, when labels and header left them unknown."""
    main = [speaker for speaker, _ in counts.most_common(2)]
    known = {roles[s] for s in main}
    if len(main) == 2 and known == {"manager", "junior"}:
        _mark_others(roles, main)
        return
    if len(main) == 2 and "unknown" in known and known - {"unknown"}:
        placed = next(s for s in main if roles[s] != "unknown")
        other = next(s for s in main if s != placed)
        if roles[other] == "unknown":
            roles[other] = "junior" if roles[placed] == "manager" else "manager"
        _mark_others(roles, main)
        return
    # From the way people talk alone, only a two-person sales conversation is taken for a 1on1: one that says it
    # is a 1on1, talks business, or has one person speaking plainly and the other politely, as a boss and a
    # junior do (a counsellor and a client, or a meeting, are polite or plain alike).
    present = sum(n for s, n in counts.items() if roles[s] != "other")
    two_people = len(main) == 2 and sum(counts[s] for s in main) >= 0.9 * present
    if not two_people or known != {"unknown"}:
        return
    score = {s: _manager_score(s, lines, text) for s in main}
    manager, junior = sorted(main, key=lambda s: score[s], reverse=True)
    business = len(_SALES_CONTEXT.findall(text))
    deference = _polite_share(junior, lines, text) - _polite_share(manager, lines, text)
    if not (business >= 3 or _ONE_ON_ONE.search(text) or (business >= 1 and deference >= 0.4)):
        return
    if score[manager] - score[junior] >= 3:
        roles[manager], roles[junior] = "manager", "junior"
        _mark_others(roles, main)


def _polite_share(speaker: str, lines: list[_Line], text: str) -> float:
    """The share of a speaker's turns that end in the polite form (です・ます)."""
    turns = [text[line.start : line.end] for line in lines if line.speaker == speaker]
    return sum(bool(_POLITE_END.search(turn)) for turn in turns) / max(1, len(turns))


def _manager_score(speaker: str, lines: list[_Line], text: str) -> int:
    score = 0
    for line in lines:
        if line.speaker != speaker:
            continue
        body = text[line.start : line.end]
        score += len(_FEEDBACK.findall(body)) + body.count("？") + body.count("?")
        score -= 2 * bool(_DEFERENCE.match(body))
    return score


def _mark_others(roles: dict[str, Role], main: list[str]) -> None:
    for speaker, role in roles.items():
        if speaker not in main and role == "unknown":
            roles[speaker] = "other"
