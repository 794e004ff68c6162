"""Where training reads and writes: the training folder, its checkpoints and data, the vocabulary."""
import os

TRAINING = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TRAINING)
CHECKPOINTS = os.path.join(TRAINING, "checkpoints")
DATA = os.path.join(TRAINING, "data")
VOCAB = os.path.join(ROOT, "public", "models", "shapesworld-vocab.json")
