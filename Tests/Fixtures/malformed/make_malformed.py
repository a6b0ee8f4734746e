"""Writes the malformed-file corpus: hostile or broken files of every format qscope reads.

Run from this folder: `python3 make_malformed.py` (standard library only). Every file
must make `qscope list` and `qscope report` exit with code 65 and one `qscope: error:`
line, quickly and with flat memory, and must be left unchanged.
"""
import io
import json
import struct
import zipfile

files = {}


def st(header, data=b"", length=None, pad=True):
    h = header.encode() if isinstance(header, str) else header
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h) if length is None else length) + h + data


def t(name, dtype, shape, begin, end):
    return {name: {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}}


def sth(entries):
    d = {}
    for e in entries:
        d.update(e)
    return json.dumps(d)


# safetensors
files["st_empty.safetensors"] = b""
files["st_short.safetensors"] = b"\x05\x00\x00"
files["st_len_2_62.safetensors"] = struct.pack("<Q", 1 << 62) + b"{}"
files["st_len_past_end.safetensors"] = struct.pack("<Q", 4096) + b"{}      "
files["st_not_json.safetensors"] = st("{not json at all}")
files["st_json_array.safetensors"] = st('{"a": [1, 2]}')
files["st_truncated_json.safetensors"] = st('{"w": {"dtype": "F32", "shape": [1]')
files["st_unknown_dtype.safetensors"] = st(sth([t("w", "F12", [1], 0, 4)]), b"\0" * 4)
files["st_missing_dtype.safetensors"] = st('{"w": {"shape": [1], "data_offsets": [0, 4]}}', b"\0" * 4)
files["st_missing_shape.safetensors"] = st('{"w": {"dtype": "F32", "data_offsets": [0, 4]}}', b"\0" * 4)
files["st_missing_offsets.safetensors"] = st('{"w": {"dtype": "F32", "shape": [1]}}', b"\0" * 4)
files["st_shape_mismatch.safetensors"] = st(sth([t("w", "F32", [2], 0, 4)]), b"\0" * 4)
files["st_offsets_past_end.safetensors"] = st(sth([t("w", "F32", [4], 0, 16)]), b"\0" * 4)
files["st_offsets_reversed.safetensors"] = st(sth([t("w", "F32", [1], 4, 0)]), b"\0" * 4)
files["st_negative_dim.safetensors"] = st(sth([t("w", "F32", [-1], 0, 4)]), b"\0" * 4)
files["st_float_dim.safetensors"] = st(sth([t("w", "F32", [1.5], 0, 4)]), b"\0" * 4)
files["st_overflow_shape.safetensors"] = st(sth([t("w", "F32", [1 << 32, 1 << 32, 4], 0, 4)]), b"\0" * 4)
files["st_dim_1e9.safetensors"] = st(sth([t("w", "F32", [10 ** 9], 0, 4)]), b"\0" * 4)
files["st_overlap.safetensors"] = st(sth([t("a", "U8", [2], 0, 2), t("b", "U8", [2], 1, 3)]), b"\0" * 3)
files["st_gap.safetensors"] = st(sth([t("a", "U8", [1], 1, 2)]), b"\0" * 2)
files["st_trailing.safetensors"] = st(sth([t("a", "U8", [1], 0, 1)]), b"\0" * 5)
files["st_duplicate.safetensors"] = st('{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, '
                                        '"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}', b"\0")
files["st_metadata_number.safetensors"] = st('{"__metadata__": {"a": 1}}')
files["st_metadata_list.safetensors"] = st('{"__metadata__": [1]}')
files["st_bad_utf8.safetensors"] = st(b'{"\xff\xfe": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}', b"\0")
files["st_deep_nesting.safetensors"] = st("{" + '"a":' * 1 + "[" * 5000 + "]" * 5000 + "}")
files["st_truncated_data.safetensors"] = st(sth([t("w", "F32", [1024], 0, 4096)]), b"\0" * 100)

# .npy
def npy(header, data=b"", version=1):
    h = header.encode("latin-1")
    pre = 10 if version == 1 else 12
    h += b" " * ((64 - (pre + len(h) + 1) % 64) % 64) + b"\n"
    ln = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + ln + h + data


files["npy_magic_only.npy"] = b"\x93NUMPY"
files["npy_bad_version.npy"] = b"\x93NUMPY\x09\x00\x00\x00"
files["npy_header_past_end.npy"] = b"\x93NUMPY\x01\x00\xff\xff{"
files["npy_v2_huge_header.npy"] = b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{"
files["npy_not_dict.npy"] = npy("[1, 2, 3]")
files["npy_eval.npy"] = npy("{'descr': __import__('os').system('echo pwned'), 'fortran_order': False, 'shape': (1,), }")
files["npy_object.npy"] = npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", b"\x80\x02N.")
files["npy_unknown_descr.npy"] = npy("{'descr': '<q7', 'fortran_order': False, 'shape': (1,), }", b"\0")
files["npy_missing_shape.npy"] = npy("{'descr': '<f4', 'fortran_order': False, }")
files["npy_missing_descr.npy"] = npy("{'fortran_order': False, 'shape': (1,), }", b"\0" * 4)
files["npy_negative_shape.npy"] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")
files["npy_overflow_shape.npy"] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }")
files["npy_truncated.npy"] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (16, 16), }", b"\0" * 10)
files["npy_deep_tuple.npy"] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 50 + ")" * 50 + ", }")
files["npy_duplicate_key.npy"] = npy("{'descr': '<f4', 'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4)
files["npy_unterminated.npy"] = npy("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }", b"\0" * 4)

# .npz
def npz(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


good_npy = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", b"\0" * 16)
files["npz_no_members.npz"] = npz({})
files["npz_not_npy.npz"] = npz({"readme.txt": b"hello"})
files["npz_truncated.npz"] = npz({"w.npy": good_npy})[:40]
files["npz_bad_member.npz"] = npz({"w.npy": b"\x93NUMPY\x09\x00"})
files["npz_object_member.npz"] = npz({"w.npy": npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"N.")})
files["npz_size_mismatch.npz"] = npz({"w.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }", b"\0" * 16)})
z = bytearray(npz({"w.npy": good_npy}, zipfile.ZIP_STORED))
cd = z.find(b"PK\x01\x02")
z[cd + 24:cd + 28] = b"\xff\xff\xff\x7f"  # the central directory claims 2 GiB uncompressed
files["npz_claims_2gib.npz"] = bytes(z)

# GGUF
def le(fmt, *v):
    return struct.pack("<" + fmt, *v)


def gs(s):
    b = s.encode()
    return le("Q", len(b)) + b


def gguf(tensors=b"", n_tensors=0, kvs=b"", n_kv=0, data=b"", version=3):
    out = b"GGUF" + le("I", version) + le("Q", n_tensors) + le("Q", n_kv) + kvs + tensors
    out += b"\0" * ((32 - len(out) % 32) % 32)
    return out + data


def info(name, dims, typ, off=0):
    return gs(name) + le("I", len(dims)) + b"".join(le("Q", d) for d in dims) + le("I", typ) + le("Q", off)


files["gguf_version1.gguf"] = b"GGUF" + le("I", 1) + b"\0" * 16
files["gguf_bigendian.gguf"] = b"GGUF" + struct.pack(">I", 3) + b"\0" * 16
files["gguf_cut_header.gguf"] = b"GGUF" + le("I", 3) + b"\1\0"
files["gguf_2_62_tensors.gguf"] = b"GGUF" + le("I", 3) + le("Q", 1 << 62) + le("Q", 0)
files["gguf_2_62_kvs.gguf"] = b"GGUF" + le("I", 3) + le("Q", 0) + le("Q", 1 << 62)
files["gguf_string_2_40.gguf"] = gguf(kvs=le("Q", 1 << 40) + b"abc", n_kv=1)
files["gguf_value_string_2_40.gguf"] = gguf(kvs=gs("k") + le("I", 8) + le("Q", 1 << 40), n_kv=1)
files["gguf_array_2_50.gguf"] = gguf(kvs=gs("k") + le("I", 9) + le("I", 4) + le("Q", 1 << 50), n_kv=1)
files["gguf_nested_arrays.gguf"] = gguf(kvs=gs("k") + (le("I", 9) + le("Q", 1)) * 0 + le("I", 9) + (le("I", 9) + le("Q", 1)) * 40 + le("I", 4) + le("Q", 1) + b"\0" * 4, n_kv=1)
files["gguf_unknown_value_type.gguf"] = gguf(kvs=gs("k") + le("I", 99) + b"\0" * 8, n_kv=1)
files["gguf_duplicate_key.gguf"] = gguf(kvs=(gs("k") + le("I", 4) + le("I", 1)) * 2, n_kv=2)
files["gguf_bad_alignment.gguf"] = gguf(kvs=gs("general.alignment") + le("I", 4) + le("I", 3), n_kv=1)
files["gguf_unknown_ggml_type.gguf"] = gguf(info("w", [32], 99), 1, data=b"\0" * 128)
files["gguf_five_dims.gguf"] = gguf(info("w", [1, 1, 1, 1, 1], 0), 1, data=b"\0" * 4)
files["gguf_huge_dim.gguf"] = gguf(info("w", [1 << 60], 0), 1, data=b"\0" * 4)
files["gguf_overflow_dims.gguf"] = gguf(info("w", [1 << 36, 1 << 36, 1 << 36], 0), 1, data=b"\0" * 4)
files["gguf_truncated_data.gguf"] = gguf(info("w", [64], 0), 1, data=b"\0" * 100)
files["gguf_row_not_block.gguf"] = gguf(info("w", [33], 8), 1, data=b"\0" * 64)
files["gguf_misaligned.gguf"] = gguf(info("w", [1], 0, 3), 1, data=b"\0" * 64)
files["gguf_duplicate_tensor.gguf"] = gguf(info("w", [1], 0) + info("w", [1], 0), 2, data=b"\0" * 4)
files["gguf_offset_past_end.gguf"] = gguf(info("w", [8], 0, 1 << 40), 1, data=b"\0" * 32)

# Sharded index
files["index_not_index.safetensors.index.json"] = b'{"metadata": {}}'
files["index_escape.safetensors.index.json"] = b'{"weight_map": {"w": "../../etc/passwd"}}'
files["index_missing_shard.safetensors.index.json"] = b'{"weight_map": {"w": "nowhere-00001-of-00001.safetensors"}}'
files["index_bad_json.safetensors.index.json"] = b'{"weight_map": {'

# Not a tensor file at all
files["text.bin"] = b"hello, this is not a tensor file\n"
files["pdf.bin"] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"

for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
print(len(files), "files")
