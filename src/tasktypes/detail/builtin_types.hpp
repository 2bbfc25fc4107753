// The implementations the built-in table (builtins.cpp) points to, one per
// file under tasktypes/. Private to tasktypes/.
#pragma once

#include <boost/json/value.hpp>
#include <memory>

#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes::detail {

// text_multi_class.cpp; the single-label classification both
// TextMultiClass and ImageMultiClass are, for the given row; with
// `verification`, the verification types' output (spec §6.4.7.7).
const TaskType& TextMultiClassType();
std::unique_ptr<const TaskType> MakeSingleLabelType(const BuiltinTaskType& row,
                                                    bool verification = false);
const TaskType& VerificationBoundingBoxType();
const TaskType& VerificationSemanticSegmentationType();
// image_multi_class.cpp
const TaskType& ImageMultiClassType();
// multi_label.cpp
const TaskType& TextMultiClassMultiLabelType();
const TaskType& ImageMultiClassMultiLabelType();
// named_entity_recognition.cpp
const TaskType& NamedEntityRecognitionType();
// bounding_box.cpp
const TaskType& BoundingBoxType();
const TaskType& AdjustmentBoundingBoxType();
// semantic_segmentation.cpp
const TaskType& SemanticSegmentationType();
const TaskType& AdjustmentSemanticSegmentationType();
// plumbline_shapes.cpp: Plumbline's own consolidation of custom templates'
// drawn shapes (polygons, lines, polylines, keypoints).
const TaskType& PlumblineShapesType();

// A consolidated pixel coordinate as the output writes it: a whole number
// as an integer, else two decimals (Ground Truth writes means such as
// 399.5). bounding_box.cpp.
boost::json::value OutputCoordinate(double v);

}  // namespace plumbline::tasktypes::detail
