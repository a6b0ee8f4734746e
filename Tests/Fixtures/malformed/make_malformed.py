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

# PyTorch: torch.save's ZIP (<archive>/data.pkl and raw storages <archive>/data/<key>) with hostile or
# broken pickles, assembled opcode by opcode. Had anything run them, the hostile ones would create RAN.
RAN = "/tmp/qscope-pickle-ran"


def p_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def p_str(s):
    b = s.encode()
    return b"X" + le("I", len(b)) + b


def p_int(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -(1 << 31) <= n < (1 << 31):
        return b"J" + le("i", n)
    b = n.to_bytes(8, "little", signed=True)
    return b"\x8a\x08" + b


def p_tuple(*items):
    return b"(" + b"".join(items) + b"t"


def p_storage(cls="FloatStorage", key="0", numel=4, module="torch"):
    return p_tuple(p_str("storage"), p_global(module, cls), p_str(key), p_str("cpu"), p_int(numel)) + b"Q"


def p_hooks():
    return p_global("collections", "OrderedDict") + b")R"


def p_tensor(storage=None, offset=0, size=(4,), stride=(1,), v3_dtype=None):
    storage = storage if storage is not None else p_storage()
    args = [storage, p_int(offset), p_tuple(*map(p_int, size)), p_tuple(*map(p_int, stride)), b"\x89", p_hooks()]
    if v3_dtype:
        args.append(p_global("torch", v3_dtype))
    fn = "_rebuild_tensor_v3" if v3_dtype else "_rebuild_tensor_v2"
    return p_global("torch._utils", fn) + p_tuple(*args) + b"R"


def p_dict(*items):
    return b"}(" + b"".join(p_str(k) + v for k, v in items) + b"u"


def p_state(*items):
    return b"\x80\x02" + p_dict(*items) + b"."


def pt(pickle, storages=None, name="archive", byteorder=b"little", compress=zipfile.ZIP_STORED):
    storages = {"0": b"\0" * 16} if storages is None else storages
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo(f"{name}/data.pkl"), pickle, compress_type=compress)
        if byteorder is not None:
            z.writestr(zipfile.ZipInfo(f"{name}/byteorder"), byteorder)
        for key, data in storages.items():
            z.writestr(zipfile.ZipInfo(f"{name}/data/{key}"), data)
        z.writestr(zipfile.ZipInfo(f"{name}/version"), b"3\n")
    return buf.getvalue()


good_state = p_state(("w", p_tensor()))
touch = p_str(f"touch {RAN}")
# Globals a state dict never names, with the arguments that would run a command.
files["pt_global_os_system.pt"] = pt(b"\x80\x02" + p_global("os", "system") + touch + b"\x85R.")
files["pt_global_posix_system.pt"] = pt(b"\x80\x02" + p_global("posix", "system") + touch + b"\x85R.")
files["pt_global_builtins_eval.pt"] = pt(b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93"
                                         + p_str(f"__import__('os').system('touch {RAN}')") + b"\x85R.")
files["pt_global_subprocess_popen.pt"] = pt(b"\x80\x02" + p_global("subprocess", "Popen")
                                            + p_tuple(p_tuple(p_str("touch"), p_str(RAN))) + b"R.")
files["pt_global_torch_load.pt"] = pt(b"\x80\x02" + p_global("torch", "load") + p_tuple(p_str("/etc/passwd")) + b"R.")
files["pt_global_rebuild_qtensor.pt"] = pt(b"\x80\x02" + p_global("torch._utils", "_rebuild_qtensor") + b")R.")
files["pt_global_qint8_storage.pt"] = pt(p_state(("w", p_tensor(p_storage("QInt8Storage")))))
files["pt_global_after_tensors.pt"] = pt(b"\x80\x02" + p_dict(("w", p_tensor()), ("x", p_global("os", "system") + touch + b"\x85R")) + b".")
files["pt_global_name_10k.pt"] = pt(b"\x80\x02c" + b"a" * 10000 + b"\nb\n.")
# Opcodes that build arbitrary objects, or name globals another way.
files["pt_inst.pt"] = pt(b"\x80\x02(" + touch + b"ios\nsystem\n.")
files["pt_obj.pt"] = pt(b"\x80\x02(" + p_global("collections", "OrderedDict") + b"o.")
files["pt_newobj.pt"] = pt(b"\x80\x02" + p_global("collections", "OrderedDict") + b")\x81.")
files["pt_newobj_ex.pt"] = pt(b"\x80\x04" + p_global("collections", "OrderedDict") + b")}\x92.")
files["pt_ext1.pt"] = pt(b"\x80\x02\x82\x01)R.")
files["pt_ext4.pt"] = pt(b"\x80\x02\x84\x01\x00\x00\x00)R.")
files["pt_persid_text.pt"] = pt(b"\x80\x02P0\n.")
files["pt_text_int.pt"] = pt(b"\x80\x02I42\n.")
files["pt_unknown_opcode.pt"] = pt(b"\x80\x02\xff.")
files["pt_proto_9.pt"] = pt(b"\x80\x09}.")
# REDUCE and BUILD of what a state dict never calls.
files["pt_reduce_storage_class.pt"] = pt(b"\x80\x02" + p_global("torch", "FloatStorage") + b")R.")
files["pt_reduce_dtype.pt"] = pt(b"\x80\x02" + p_global("torch", "float32") + b")R.")
files["pt_reduce_string.pt"] = pt(b"\x80\x02" + p_str("os.system") + touch + b"\x85R.")
files["pt_reduce_ordered_dict_args.pt"] = pt(b"\x80\x02" + p_global("collections", "OrderedDict")
                                             + p_tuple(b"]" + p_tuple(p_str("a"), p_int(1)) + b"a") + b"R.")
files["pt_build_plain_dict.pt"] = pt(b"\x80\x02}}b.")
files["pt_build_tensor.pt"] = pt(b"\x80\x02" + p_tensor() + b"}b.")
files["pt_rebuild_arity.pt"] = pt(p_state(("w", p_global("torch._utils", "_rebuild_tensor_v2") + p_tuple(p_storage()) + b"R")))
files["pt_pid_not_storage.pt"] = pt(b"\x80\x02" + p_str("storage") + b"Q.")
files["pt_v3_dtype_mismatch.pt"] = pt(p_state(("w", p_tensor(v3_dtype="float16"))))
# Counts, lengths and indices far past the file.
files["pt_memo_2_32.pt"] = pt(b"\x80\x02j\xff\xff\xff\xff.")
files["pt_memo_unset.pt"] = pt(b"\x80\x02h\x05.")
files["pt_string_2_62.pt"] = pt(b"\x80\x04\x8d" + le("Q", 1 << 62) + b"abc.")
files["pt_string_past_end.pt"] = pt(b"\x80\x02X" + le("I", 0x7FFFFFFF) + b"abc.")
files["pt_frame_2_40.pt"] = pt(b"\x80\x04\x95" + le("Q", 1 << 40) + b"}.")
files["pt_long1_9_bytes.pt"] = pt(b"\x80\x02\x8a\x09" + b"\x01" * 9 + b".")
files["pt_long4.pt"] = pt(b"\x80\x02\x8b" + le("I", 1 << 31) + b".")
files["pt_huge_shape.pt"] = pt(p_state(("w", p_tensor(size=(1 << 40, 1 << 40), stride=(1 << 40, 1)))))
files["pt_huge_stride.pt"] = pt(p_state(("w", p_tensor(size=(2,), stride=(1 << 62,)))))
files["pt_negative_stride.pt"] = pt(p_state(("w", p_tensor(offset=3, size=(4,), stride=(-1,)))))
files["pt_negative_size.pt"] = pt(p_state(("w", p_tensor(size=(-4,), stride=(1,)))))
files["pt_size_stride_mismatch.pt"] = pt(p_state(("w", p_tensor(size=(2, 2), stride=(1,)))))
files["pt_offset_past_end.pt"] = pt(p_state(("w", p_tensor(offset=100))))
files["pt_view_past_storage.pt"] = pt(p_state(("w", p_tensor(size=(3,), stride=(2,)))))
files["pt_numel_past_member.pt"] = pt(p_state(("w", p_tensor(p_storage(numel=1 << 20)))))
files["pt_numel_2_62.pt"] = pt(p_state(("w", p_tensor(p_storage(numel=1 << 62)))))
files["pt_missing_storage.pt"] = pt(p_state(("w", p_tensor(p_storage(key="7")))))
files["pt_storage_key_1k.pt"] = pt(p_state(("w", p_tensor(p_storage(key="k" * 1000)))))
files["pt_duplicate_names.pt"] = pt(p_state(("w", p_tensor()), ("w", p_tensor())))
files["pt_deep_nesting.pt"] = pt(b"\x80\x02" + b"]" * 100 + p_tensor() + b"a" * 100 + b".")
files["pt_tuple_chain_1m.pt"] = pt(b"\x80\x02" + p_tensor() + b"\x85" * 1_000_000 + b".", compress=zipfile.ZIP_DEFLATED)
files["pt_stack_bomb.pt"] = pt(b"\x80\x02" + b"N" * 2_000_000 + b".", compress=zipfile.ZIP_DEFLATED)
# Broken streams.
files["pt_truncated_pickle.pt"] = pt(good_state[:len(good_state) // 2])
files["pt_empty_pickle.pt"] = pt(b"")
files["pt_stop_on_empty_stack.pt"] = pt(b"\x80\x02.")
files["pt_setitems_without_mark.pt"] = pt(b"\x80\x02}u.")
# Broken archives.
files["pt_nested_zip.pt"] = pt(pt(good_state))
files["pt_bad_byteorder.pt"] = pt(good_state, byteorder=b"middle")
z = io.BytesIO()
with zipfile.ZipFile(z, "w") as zz:
    for n in ["a/data.pkl", "b/data.pkl"]:
        zz.writestr(zipfile.ZipInfo(n), good_state)
    zz.writestr(zipfile.ZipInfo("a/data/0"), b"\0" * 16)
files["pt_two_pickles.pt"] = z.getvalue()
bomb = bytearray(pt(b"\x80\x02}" + b"N0" * 500_000 + b".", compress=zipfile.ZIP_DEFLATED))
cd = bomb.find(b"PK\x01\x02")
bomb[cd + 24:cd + 28] = le("I", 100)  # the directory declares 100 bytes; the stream inflates to 1 MB
files["pt_zip_bomb.pt"] = bytes(bomb)
crc = bytearray(pt(good_state, compress=zipfile.ZIP_DEFLATED))
cd = crc.find(b"PK\x01\x02")
crc[cd + 16:cd + 20] = b"\xde\xad\xbe\xef"
files["pt_bad_crc.pt"] = bytes(crc)
past = bytearray(pt(good_state))
cd = past.rfind(b"PK\x01\x02", 0, past.find(b"archive/data/0", past.find(b"PK\x01\x02")) + 1)
past[cd + 20:cd + 28] = le("I", 1 << 30) * 2  # the storage member claims 1 GiB in a small archive
files["pt_member_past_end.pt"] = bytes(past)
enc = bytearray(pt(good_state))
cd = enc.find(b"PK\x01\x02")
enc[cd + 8] |= 1
files["pt_encrypted.pt"] = bytes(enc)
# Pickles outside a ZIP: the legacy format, and a bare pickle.
files["pt_legacy.pt"] = bytes([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) + b".\x80\x02M\xe9\x03."
files["pt_bare_pickle.pkl"] = b"\x80\x02" + p_global("os", "system") + touch + b"\x85R."

# Not a tensor file at all
files["text.bin"] = b"hello, this is not a tensor file\n"
files["pdf.bin"] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"

for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
print(len(files), "files")
