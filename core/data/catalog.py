"""The datasets we know by name: their files, pinned checksums, mirrors and classes.

The SHA-256 pins are those of the official archives as their authors publish them, so
a download from any mirror is accepted only if it is byte for byte the official file.
``labels_sha256`` is the hash of the *uncompressed* training-label file, which tells
MNIST and Fashion-MNIST apart even when they sit in a folder whose name says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every dataset known by name, in the order menus list it, with its title.
DATASETS = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "digits": "8×8 digits (bundled)",
    "cifar10": "CIFAR-10",
}
#: How help texts and errors name what ``--dataset`` accepts.
DATASET_CHOICES = f"{', '.join(DATASETS)} or a folder"

#: Colour modes of an image folder: "auto" is grey when every image is grey, else RGB.
COLOURS = ("auto", "grey", "rgb")
#: Largest side of an image folder's images (``image_size``; 0 lets the data choose).
MAX_IMAGE_SIDE = 256

DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

# The four files of an IDX dataset: role -> file stem (".gz" optional).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Source:
    """A dataset we can find on disk by its usual folder names or download ourselves."""

    key: str
    title: str
    kind: str  # "idx" or "cifar"
    pins: dict[str, str]  # downloadable file name -> SHA-256 of the official file
    mirrors: tuple[str, ...]  # base URLs, tried in order
    folders: tuple[str, ...]  # usual names of its folder inside a folder of datasets
    system_folders: tuple[str, ...] = ()
    class_names: tuple[str, ...] = DIGIT_NAMES
    labels_sha256: str | None = None


SOURCES: dict[str, Source] = {
    "mnist": Source(
        key="mnist",
        title="MNIST",
        kind="idx",
        pins={
            "train-images-idx3-ubyte.gz": (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
            ),
            "train-labels-idx1-ubyte.gz": (
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
            ),
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        folders=("mnist", "MNIST"),
        labels_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "fashion_mnist": Source(
        key="fashion_mnist",
        title="Fashion-MNIST",
        kind="idx",
        pins={
            "train-images-idx3-ubyte.gz": (
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
            ),
            "train-labels-idx1-ubyte.gz": (
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
            ),
            "t10k-images-idx3-ubyte.gz": (
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
            ),
        },
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        folders=("fashion-mnist", "fashion_mnist", "FashionMNIST", "fashion"),
        system_folders=("/usr/share/datasets/fashion-mnist",),
        class_names=FASHION_NAMES,
        labels_sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "cifar10": Source(
        key="cifar10",
        title="CIFAR-10",
        kind="cifar",
        pins={
            "cifar-10-binary.tar.gz": (
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
            ),
        },
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        folders=("cifar10", "cifar-10", "CIFAR10", "cifar-10-batches-bin"),
    ),
}

ALIASES = {
    "fashion": "fashion_mnist",
    "fmnist": "fashion_mnist",
    "cifar": "cifar10",
    "cifar_10": "cifar10",
}


def source_for(name: str) -> Source | None:
    """The known dataset called ``name`` ("MNIST", "fashion-mnist", ...), if it is one."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    return SOURCES.get(key)
