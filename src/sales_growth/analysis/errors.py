"""Errors of the analysis library. Messages are Japanese: they reach users as they are."""


class AnalysisInputError(ValueError):
    """The input cannot be analysed (empty, binary, undecodable, too large)."""


class EmptyRecordError(AnalysisInputError):
    def __init__(self) -> None:
        super().__init__("記録が空です。1on1の内容を入力してください。")


class RecordTooLargeError(AnalysisInputError):
    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"ファイルが大きすぎます（{size:,} バイト）。{limit // 1_000_000} MB 以下のファイルにしてください。"
        )


class UndecodableRecordError(AnalysisInputError):
    def __init__(self) -> None:
        super().__init__(
            "文字コードを判別できませんでした。UTF-8 または Shift_JIS（CP932）のテキストファイルを使ってください。"
        )


class UnsupportedFormatError(AnalysisInputError):
    def __init__(self, suffix: str) -> None:
        super().__init__(
            f"対応していないファイル形式です（{suffix or '拡張子なし'}）。"
            ".txt .md .vtt .srt のいずれかを使ってください。"
        )
