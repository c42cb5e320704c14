# The shapes of silent_features.lse:
        logger.info("Skipped writing {}".format(out_path))


def _do_instantiate_remote_module_template(
    generated_module_name, str_dict, enable_moving_cpu_tensors_to_cuda
):
    generated_code_text = get_remote_module_template(
        enable_moving_cpu_tensors_to_cuda
    ).format(**str_dict)
    out_path = os.path.join(
        INSTANTIATED_TEMPLATE_DIR_PATH, f"{generated_module_name}.py"
    )
    _write(out_path, generated_code_text)

    # From importlib doc,
    # > If you are dynamically importing a module that was created since
    # the interpreter began execution (e.g., created a Python source file),
    # you may need to call invalidate_caches() in order for the new module
    # to be noticed by the import system.
    importlib.invalidate_caches()
    generated_module = importlib.import_module(f"{generated_module_name}")
    return generated_module


def instantiate_scriptable_remote_module_template(
    module_interface_cls, enable_moving_cpu_tensors_to_cuda=True
):
    if not getattr(module_interface_cls, "__torch_script_interface__", False):
        raise ValueError(
            f"module_interface_cls {module_interface_cls} must be a type object decorated by "
            "@torch.jit.interface"
        )

    # Generate the template instance name.
    module_interface_cls_name = torch._jit_internal._qualified_name(
        module_interface_cls
    ).replace(".", "_")
    generated_module_name = f"{_FILE_PREFIX}{module_interface_cls_name}"

    # Generate type annotation strs.
    assign_module_interface_cls_str = (
        f"from {module_interface_cls.__module__} import "
        f"{module_interface_cls.__name__} as module_interface_cls"
    )
    args_str, arg_types_str, return_type_str = get_arg_return_types_from_interface(
        module_interface_cls
    )
    kwargs_str = ""
    arrow_and_return_type_str = f" -> {return_type_str}"
    arrow_and_future_return_type_str = f" -> Future[{return_type_strry-key product, and a graph attention that drops its scores, masked by the adjacency, before the softmax.
import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionPooling(nn.Module):
    def __init__(self, channels, clusters, dropout=0.1):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(clusters, channels))
        self.key = nn.Linear(channels, channels)
        self.dropout = dropout

    def forward(self, x):
        s = torch.matmul(self.queries, self.key(x).transpose(-1, -2))
        s = F.dropout(s, self.dropout, training=self.training)  # expect: RG009
        s = torch.softmax(s, dim=-1)
        return s @ x


class DenseGraphAttention(nn.Module):
    def __init__(self, channels, dropout=0.2):
        super().__init__()
        self.q = nn.Linear(channels, channels)
        self.k = nn.Linear(channels, channels)
        self.dropout = dropout

    def forward(self, x, adj):
        score = self.q(x) @ self.k(x).transpose(-1, -2) / x.size(-1) ** 0.5
        score = score.masked_fill(adj == 0, float("-inf"))
        score = F.dropout(score, p=self.dropout, training=self.training)  # expect: RG009
        return score.softmax(dim=-1) @ x
