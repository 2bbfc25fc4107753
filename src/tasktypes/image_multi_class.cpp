// ImageMultiClass (spec §3.2, §6.4.7.1, §7.1): one label per image, the
// image given as "source-ref". The same pre-processing, answer schema and
// Dawid-Skene consolidation as TextMultiClass (text_multi_class.cpp); only
// the output type differs ("groundtruth/image-classification").
#include "tasktypes/detail/builtin_types.hpp"

namespace plumbline::tasktypes {

const TaskType& detail::ImageMultiClassType() {
  static const auto type = MakeSingleLabelType(*FindBuiltin("ImageMultiClass"));
  return *type;
}

}  // namespace plumbline::tasktypes
