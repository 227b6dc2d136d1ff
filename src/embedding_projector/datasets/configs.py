"""Projector configs: TensorBoard's projector_config.pbtxt and projector.tensorflow.org's JSON.

Both become a list of EmbeddingSpec. Every path in a config is resolved inside the config's folder
and refused by name otherwise (absolute, `..`, a URL, or a symlink that leads out).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from embedding_projector.atomic_files import safe_join
from embedding_projector.errors import InputError

PBTXT_NAME = "projector_config.pbtxt"
_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\f\v]+|\#[^\n]*)|(?P<newline>\n)"""
    r"""|(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fF]?)"""
    r"""|(?P<punct>[:{}<>\[\],;/.])"""
)
_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34, "?": 63}


@dataclass(frozen=True)
class EmbeddingSpec:
    """One embedding as a config describes it; paths are as written, relative to the config."""

    tensor_name: str
    tensor_path: str | None = None
    tensor_shape: tuple[int, ...] | None = None
    metadata_path: str | None = None
    bookmarks_path: str | None = None
    sprite_path: str | None = None
    sprite_dim: tuple[int, ...] | None = None


# --- projector_config.pbtxt --------------------------------------------------------------------


def _unescape(literal: str, filename: str, line: int) -> str:
    """The text of one quoted string token, with C-style escapes (octal, \\x, \\u) resolved."""
    body, out, i = literal[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :]).group()  # type: ignore[union-attr]
            out.append(int(digits, 8) & 0xFF)
            i += 1 + len(digits)
        elif nxt in "xuU" and (m := re.match(r"[0-9a-fA-F]+", body[i + 2 :])):
            size = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = m.group()[:size]
            code = int(digits, 16)
            out += bytes([code]) if nxt == "x" else chr(code).encode()
            i += 2 + len(digits)
        else:
            raise InputError(
                f"{filename} line {line}: unknown escape \\{nxt} in a string", file=filename, line=line
            )
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{filename} line {line}: a string is not UTF-8", file=filename, line=line) from None


def _tokens(text: str, filename: str) -> list[tuple[str, str, int]]:
    """(kind, text, line) for every token, without spaces and comments."""
    out, pos, line = [], 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InputError(
                f"{filename} line {line}: unexpected character {text[pos]!r}", file=filename, line=line
            )
        kind = m.lastgroup or ""
        if kind == "newline":
            line += 1
        elif kind != "space":
            out.append((kind, m.group(), line))
        pos = m.end()
    return out


class _PbtxtReader:
    """A recursive-descent reader of protobuf text format into {field: [values]} dictionaries."""

    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.tokens = _tokens(text, filename)
        self.pos = 0

    def fail(self, message: str) -> InputError:
        line = self.tokens[min(self.pos, len(self.tokens) - 1)][2] if self.tokens else 1
        return InputError(f"{self.filename} line {line}: {message}", file=self.filename, line=line)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "punct" and token[1] == text:
            self.pos += 1
            return True
        return False

    def message(self, close: str | None) -> dict[str, list[Any]]:
        opened = self.tokens[self.pos - 1][2] if self.pos else 1
        fields: dict[str, list[Any]] = {}
        while True:
            token = self.peek()
            if token is None:
                if close is not None:
                    raise InputError(
                        f"{self.filename} line {opened}: this block is never closed (missing {close!r})",
                        file=self.filename,
                        line=opened,
                    )
                return fields
            if close is not None and self.take(close):
                return fields
            if token[0] == "punct" and token[1] == "[":  # [extension.name] or [type.url/Any]
                while not self.take("]"):
                    self.pos += 1
                    if self.peek() is None:
                        raise self.fail("missing ']'")
                name = "[extension]"
            elif token[0] == "name":
                name = token[1]
                self.pos += 1
            else:
                raise self.fail(f"expected a field name, found {token[1]!r}")
            fields.setdefault(name, []).extend(self.field_values())
            if not self.take(","):
                self.take(";")

    def field_values(self) -> list[Any]:
        colon = self.take(":")
        if self.take("{"):
            return [self.message("}")]
        if self.take("<"):
            return [self.message(">")]
        if not colon:
            raise self.fail("expected ':' or '{' after a field name")
        if self.take("["):
            values: list[Any] = []
            while not self.take("]"):
                values.extend(self.field_values_in_list())
                if not self.take(",") and (self.peek() or ("", "", 0))[1] != "]":
                    raise self.fail("expected ',' or ']' in a list")
            return values
        return [self.scalar()]

    def field_values_in_list(self) -> list[Any]:
        if self.take("{"):
            return [self.message("}")]
        return [self.scalar()]

    def scalar(self) -> Any:
        token = self.peek()
        if token is None:
            raise self.fail("expected a value at the end of the file")
        kind, text, line = token
        self.pos += 1
        if kind == "string":
            parts = [_unescape(text, self.filename, line)]
            while (nxt := self.peek()) is not None and nxt[0] == "string":  # "a" "b" is "ab"
                parts.append(_unescape(nxt[1], self.filename, nxt[2]))
                self.pos += 1
            return "".join(parts)
        if kind == "number":
            number = text.rstrip("fF") if not text.lower().startswith(("0x", "-0x", "+0x")) else text
            try:
                return int(number, 0)
            except ValueError:
                return float(number)
        if kind == "name":
            return text  # enum values, true/false, inf, nan
        raise self.fail(f"expected a value, found {text!r}")


def parse_pbtxt(text: str, filename: str = PBTXT_NAME) -> list[EmbeddingSpec]:
    """The embeddings of a projector_config.pbtxt; unknown fields are read and ignored."""
    fields = _PbtxtReader(text, filename).message(None)
    specs = []
    for number, block in enumerate(fields.get("embeddings", []), start=1):
        if not isinstance(block, dict):
            raise InputError(f"{filename}: embeddings #{number} is not a {{ ... }} block", file=filename)
        sprite = _last(block, "sprite", dict, filename, number) or {}
        specs.append(
            EmbeddingSpec(
                tensor_name=_last(block, "tensor_name", str, filename, number) or "",
                tensor_path=_last(block, "tensor_path", str, filename, number),
                tensor_shape=_ints(block.get("tensor_shape"), "tensor_shape", filename, number),
                metadata_path=_last(block, "metadata_path", str, filename, number),
                bookmarks_path=_last(block, "bookmarks_path", str, filename, number),
                sprite_path=_last(sprite, "image_path", str, filename, number),
                sprite_dim=_ints(sprite.get("single_image_dim"), "sprite.single_image_dim", filename, number),
            )
        )
    return specs


def _last(block: dict[str, list[Any]], name: str, kind: type, filename: str, number: int) -> Any:
    """A singular field's value (the last one wins, as in protobuf), checked for its type."""
    values = block.get(name)
    if not values:
        return None
    if not isinstance(values[-1], kind):
        wanted = "a quoted string" if kind is str else "a { ... } block"
        raise InputError(f"{filename}: embeddings #{number}: {name} must be {wanted}", file=filename)
    return values[-1]


def _ints(values: list[Any] | None, name: str, filename: str, number: int) -> tuple[int, ...] | None:
    if not values:
        return None
    if not all(isinstance(v, int) and v >= 0 for v in values):
        raise InputError(f"{filename}: embeddings #{number}: {name} must be whole numbers", file=filename)
    return tuple(values)


# --- the standalone JSON config --------------------------------------------------------------------


class _JsonSprite(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    image_path: str = Field(alias="imagePath")
    single_image_dim: list[int] | None = Field(None, alias="singleImageDim")


class _JsonEmbedding(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    tensor_name: str = Field("", alias="tensorName")
    tensor_shape: list[int] | None = Field(None, alias="tensorShape")
    tensor_path: str | None = Field(None, alias="tensorPath")
    metadata_path: str | None = Field(None, alias="metadataPath")
    bookmarks_path: str | None = Field(None, alias="bookmarksPath")
    sprite: _JsonSprite | None = None


class _JsonConfig(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    embeddings: list[_JsonEmbedding] = Field(min_length=1)
    model_checkpoint_path: str | None = Field(None, alias="modelCheckpointPath")


def parse_json_config(data: bytes | str, filename: str) -> list[EmbeddingSpec]:
    """The embeddings of a projector config JSON ({"embeddings": [{"tensorName", ...}]})."""
    try:
        config = _JsonConfig.model_validate_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "the file"
        raise InputError(f"{filename}: {where}: {err['msg']}", file=filename) from None
    return [
        EmbeddingSpec(
            tensor_name=e.tensor_name,
            tensor_path=e.tensor_path or None,
            tensor_shape=tuple(e.tensor_shape) if e.tensor_shape else None,
            metadata_path=e.metadata_path or None,
            bookmarks_path=e.bookmarks_path or None,
            sprite_path=(e.sprite.image_path or None) if e.sprite else None,
            sprite_dim=tuple(e.sprite.single_image_dim) if e.sprite and e.sprite.single_image_dim else None,
        )
        for e in config.embeddings
    ]


def is_json_config(path: Path) -> bool:
    """Whether a .json file looks like a projector config (an object with an "embeddings" list)."""
    try:
        if path.stat().st_size > 16 << 20:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("embeddings"), list)


def read_config(path: Path) -> list[EmbeddingSpec]:
    """The embeddings of a projector_config.pbtxt or a JSON config file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name} cannot be read ({exc.strerror})", file=path.name) from None
    if path.suffix.lower() == ".json":
        return parse_json_config(data, path.name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text", file=path.name) from None
    return parse_pbtxt(text, path.name)


def find_configs(logdir: Path) -> list[Path]:
    """Every projector_config.pbtxt and projector config .json under `logdir` (hidden folders skipped)."""
    found = []
    for folder, dirs, files in os.walk(logdir):  # never follows symlinked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name == PBTXT_NAME or (name.lower().endswith(".json") and is_json_config(path)):
                found.append(path)
    return found


def resolve_path(config: Path, written: str, field: str) -> Path:
    """A path from the config, resolved inside the config's folder, or InputError naming both."""
    name = config.name
    if "://" in written or written.startswith("//"):
        problem = "is a URL; download the file next to the config and give its relative path"
    elif PurePosixPath(written).is_absolute() or PureWindowsPath(written).drive or written.startswith("\\"):
        problem = "is an absolute path; paths in a config must be relative to the config's folder"
    elif ".." in PurePosixPath(written.replace("\\", "/")).parts:
        problem = "leads out of the config's folder ('..')"
    else:
        try:
            path = safe_join(config.parent, written)
        except ValueError:
            problem = "leads out of the config's folder (through a symbolic link)"
        else:
            if path.is_file():
                return path
            problem = "does not exist" if not path.exists() else "is not a file"
    raise InputError(f"{name}: {field} {written!r} {problem}", file=name)
