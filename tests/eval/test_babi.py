"""bAbI: the reader, a short training run on task 1, determinism per seed, and the command's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from clinimem_eval.babi.reader import Sample, load_task, parse_lines  # noqa: E402
from clinimem_eval.babi.train import TrainConfig, train  # noqa: E402


def test_reader_parses_story_question_answer_and_supporting_facts(babi_dir: Path) -> None:
    train, test = load_task(babi_dir, 2)
    assert len(train) == 1000 and len(test) == 1000
    first = train[0]
    # qa2 train opens: 1 Mary moved to the bathroom. ... 7 Where is the football? <TAB>garden<TAB>3 6
    assert first.task == 2
    assert first.story[0] == ("mary", "moved", "to", "the", "bathroom")
    assert len(first.story) == 6
    assert first.question == ("where", "is", "the", "football")
    assert first.answer == "garden"
    assert first.supporting == (2, 5)
    assert first.story[2] == ("mary", "got", "the", "football", "there")
    # The next question continues the same story: questions are not memories, so line 12 is index 10.
    second = train[1]
    assert len(second.story) == 12 and second.story[:6] == first.story
    assert second.supporting == (10, 5)
    assert second.story[10] == ("mary", "dropped", "the", "football")


def test_reader_multiword_answer_and_new_story() -> None:
    lines = [
        "1 The kitchen is east of the bedroom.",
        "2 The garden is north of the kitchen.",
        "3 How do you go from the bedroom to the garden?\te,n\t1 2",
        "1 John went to the office.",
        "2 Where is John?\toffice\t1",
    ]
    first, second = parse_lines(lines, 19)
    assert first == Sample(
        task=19,
        story=(
            ("the", "kitchen", "is", "east", "of", "the", "bedroom"),
            ("the", "garden", "is", "north", "of", "the", "kitchen"),
        ),
        question=("how", "do", "you", "go", "from", "the", "bedroom", "to", "the", "garden"),
        answer="e,n",
        supporting=(0, 1),
    )
    assert second.story == (("john", "went", "to", "the", "office"),)
    assert second.supporting == (0,)


def _tiny(seed: int) -> TrainConfig:
    return TrainConfig(
        hops=1, d_model=32, epochs=10, ffn_start_epochs=10, batch_size=32, seed=seed, threads=1
    )


def test_short_training_on_task1_beats_chance(babi_dir: Path) -> None:
    train_samples, test_samples = load_task(babi_dir, 1)
    # 10 epochs x 29 batches = 290 steps; six locations, so chance is ~83% error.
    result, _model, _vocab = train(train_samples, test_samples[:300], _tiny(seed=0))
    assert result.test_error[1] < 0.2, result.test_error  # measured: 1%


def test_training_is_deterministic_per_seed(babi_dir: Path) -> None:
    train_samples, test_samples = load_task(babi_dir, 1)
    cfg = TrainConfig(hops=2, d_model=16, epochs=2, ffn_start_epochs=1, seed=3, threads=1)
    a, model_a, _ = train(train_samples[:200], test_samples[:100], cfg)
    b, model_b, _ = train(train_samples[:200], test_samples[:100], cfg)
    assert a.test_error == b.test_error and a.history == b.history
    for (name, pa), (_, pb) in zip(model_a.state_dict().items(), model_b.state_dict().items(), strict=True):
        assert torch.equal(pa, pb), name


def test_command_writes_table_plot_and_results(babi_dir: Path, tmp_path: Path) -> None:
    from clinimem.cli import main

    out = tmp_path / "babi"
    code = main(
        [
            "eval-babi",
            "--data",
            str(babi_dir),
            "--tasks",
            "1",
            "--hops",
            "1",
            "--epochs",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = (out / "babi.md").read_text()
    assert "| 1 single-supporting-fact |" in table and "mean error" in table and "failed tasks" in table
    assert (out / "babi.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "results.json").is_file()
