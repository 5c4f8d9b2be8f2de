"""Every export carries one JSON document (metadata == sidecar) and a model card generated from it."""
import hashlib
import json

import onnx
import pytest

from common.core.errors import UserError
from export.int8_choice import Int8Policy
from export.metadata import sidecar_path
from export.model_card import MARKER, card_path
from export.model_document import DOCUMENT_KEY, SCHEMA, model_document
from export.runtime import OnnxSession
from superres.onnx import export_sr_model
from tests.helpers import make_image_folder


def metadata_of(path):
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_metadata_document_is_the_sidecar_and_the_loader_reads_it(sr_model_file, tmp_path):
    output = tmp_path / "m.onnx"
    export_sr_model(str(sr_model_file), output)
    text = metadata_of(output)[DOCUMENT_KEY]
    assert text == sidecar_path(output).read_text()
    document = json.loads(text)
    assert document["schema"] == SCHEMA and document["scale"] == 2 and document["input_range"] == [0.0, 1.0]
    assert document["tiles_exact"] is True and document["border"] == "clip" and document["alpha_rule"] == "bicubic"
    assert OnnxSession(output, device="cpu").document == document
    card = card_path(output).read_text()
    assert card.startswith("---\nlicense: unknown\nlibrary_name: onnx\npipeline_tag: image-to-image\n") and MARKER in card
    assert "x2 super-resolution, srresnet network" in card and "superres upscale photo.png --model m.onnx" in card


def test_int8_document_records_its_calibration_images(sr_model_file, tmp_path):
    calibration = make_image_folder(tmp_path / "calib", count=3, size=(72, 72))
    output = tmp_path / "m8.onnx"
    export_sr_model(str(sr_model_file), output, int8_calibration=str(calibration), int8_policy=Int8Policy(keep=True))
    record = json.loads(sidecar_path(output).read_text())["calibration"]
    names = sorted(p.name for p in calibration.iterdir())
    assert record["images"] == names and record["crops"] == 32
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + hashlib.sha256((calibration / name).read_bytes()).digest())
    assert record["sha256"] == digest.hexdigest()
    assert "int8 calibration | 3 images" in card_path(output).read_text()


def test_a_users_own_card_is_kept_and_ours_is_replaced(sr_model_file, tmp_path, capsys):
    output = tmp_path / "m.onnx"
    card_path(output).write_text("my notes about this model\n")
    export_sr_model(str(sr_model_file), output)
    assert card_path(output).read_text() == "my notes about this model\n"
    assert "is not a gansuite model card; left as it is" in capsys.readouterr().err
    card_path(output).write_text(f"---\n---\n{MARKER}\nthe card of an earlier export, edited\n")
    export_sr_model(str(sr_model_file), output, overwrite=True)
    assert "edited" not in card_path(output).read_text() and "# m" in card_path(output).read_text()


def test_older_files_and_forged_documents(sr_model_file, tmp_path):
    output = tmp_path / "m.onnx"
    export_sr_model(str(sr_model_file), output)
    model = onnx.load(str(output))
    props = {p.key: p.value for p in model.metadata_props}

    def with_document(name, text):
        del model.metadata_props[:]
        onnx.helper.set_model_props(model, {**{k: v for k, v in props.items() if k != DOCUMENT_KEY}, **({DOCUMENT_KEY: text} if text else {})})
        onnx.save(model, str(tmp_path / name))
        return tmp_path / name

    old = OnnxSession(with_document("old.onnx", None), device="cpu")  # exported before the document existed
    assert old.document["scale"] == 2 and old.input_range == (0.0, 1.0)
    document = json.loads(props[DOCUMENT_KEY])
    for forged, message in ((json.dumps({**document, "input_range": [1, 0]}), "not finite and increasing"),
                            (json.dumps({**document, "scale": "2"}), "scale '2' is not an integer"),
                            (json.dumps({**document, "schema": "other/9"}), "is not gansuite-model/1"),
                            ("{not json", "is not JSON"), (" " * (2 << 20), "larger than")):
        with pytest.raises(UserError, match=message):
            OnnxSession(with_document("forged.onnx", forged), device="cpu")


def test_translation_rules():
    document = model_document({"task": "translate", "scale": "1", "input_range": "-1,1", "output_range": "-1,1", "multiple_of": "4"})
    assert document["tiles_exact"] is False and document["border"] == "reflect" and document["graph_min_size"] == 8
    assert document["multiple_of"] == 4 and document["input_range"] == [-1.0, 1.0] and document["alpha_rule"] == "passthrough"


def test_flat_keys_that_disagree_with_the_document_are_refused(sr_model_file, tmp_path):
    output = tmp_path / "m.onnx"
    export_sr_model(str(sr_model_file), output)
    model = onnx.load(str(output))
    props = {p.key: p.value for p in model.metadata_props}
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, {**props, "scale": "4"})  # an old reader would see x4, the document says x2
    onnx.save(model, str(tmp_path / "two_faced.onnx"))
    with pytest.raises(UserError, match="scale '4' disagrees with the gansuite_json document's 2"):
        OnnxSession(tmp_path / "two_faced.onnx", device="cpu")


def test_provenance_of_embedded_named_and_own_models():
    from superres.onnx import sr_provenance

    assert sr_provenance("clean", {}) == {"license": "MIT", "training_data": "BSDS400 (400 Berkeley photos), MATLAB-bicubic x4 downscaling"}
    named = sr_provenance("RealESRGAN_x4plus", {})
    assert named["license"] == "BSD-3-Clause" and named["training_data"].startswith("see its publisher (https://github.com/xinntao/")
    assert sr_provenance("runs/x", {"training_data": "BSDS400"}) == {"license": "unknown", "training_data": "BSDS400"}
    assert sr_provenance("own.safetensors", {}) == {"license": "unknown", "training_data": "unknown"}


@pytest.mark.parametrize("model, name", [("default", "real_x4_int8"), ("gan", "real_x4_gan_int8"), ("clean", "clean_x4_int8")])
def test_the_shipped_int8_files_describe_themselves(model, name):
    """The embedded int8 graphs carry the document like any export, with the calibration set they were made from:
    `superres export default|gan|clean --int8 ../shared/data/sr/train/BSDS400` reproduces their weights exactly."""
    import onnx

    from superres.weights import int8_path

    path = int8_path(model)
    assert path.name == f"{name}.onnx"
    props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    document = json.loads(props["gansuite_json"])
    assert (path.parent / f"{name}.onnx.json").read_text() == props["gansuite_json"]
    assert document["precision"] == "int8" and document["license"] == "MIT" and document["training_data"].startswith("BSDS400")
    assert len(document["calibration"]["images"]) == 32 and len(document["calibration"]["sha256"]) == 64
    assert MARKER in (path.parent / f"{name}.md").read_text() and document["source"] == model
