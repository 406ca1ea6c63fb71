import QConvertIR

extension Ops {
    /// NonMaxSuppression: for each batch b and class c, walks the boxes in descending score order (equal
    /// scores by lower index) and keeps a box unless a box already kept for (b, c) overlaps it with
    /// IoU = area(A ∩ B) / (area(A) + area(B) - area(A ∩ B)) > iou_threshold, stopping at
    /// max_output_boxes_per_class kept; the output is int64 [K, 3], rows (b, c, box) in that order.
    /// boxes [B, N, 4] are [y1, x1, y2, x2] corners, either way round on each axis (center_point_box 0),
    /// or [x_center, y_center, width, height] (1); scores are [B, C, N]; everything float32.
    ///
    /// What ONNX Runtime does, which this follows (its arithmetic too, in float32, in its order):
    /// - max_output_boxes_per_class defaults to 0, which keeps nothing (not "no limit"); negative is 0.
    /// - score_threshold, when given, keeps scores strictly above it: a score equal to it is dropped,
    ///   though the spec only says scores *less* than it are removed. Without it every box competes.
    /// - iou_threshold defaults to 0 and must be in [0, 1]. Boxes that only touch (an empty
    ///   intersection) never suppress each other, even at threshold 0.
    /// - A center box's area is width * height as given, so a negative width and height give a positive
    ///   area; its edges are not reordered.
    /// - NaN scores: ORT's order for them is whatever its heap makes of comparisons that all fail; here
    ///   they rank after every number, by index. A score_threshold drops them in both.
    enum NonMaxSuppression: Operator {
        static let type = "NonMaxSuppression"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let centerPointBox = try node.int("center_point_box", default: 0)
            guard centerPointBox == 0 || centerPointBox == 1 else {
                throw QConvertError("center_point_box must be 0 or 1, got \(centerPointBox)")
            }
            return Kernel { inputs, _ in
                let boxes = try inputs.floatInput(0, "boxes"), scores = try inputs.floatInput(1, "scores")
                guard boxes.rank == 3, boxes.shape[2] == 4 else { throw QConvertError("boxes must be [batches, boxes, 4], got \(boxes.shape)") }
                guard scores.rank == 3, scores.shape[0] == boxes.shape[0], scores.shape[2] == boxes.shape[1] else {
                    throw QConvertError("scores must be [\(boxes.shape[0]), classes, \(boxes.shape[1])] for boxes \(boxes.shape), got \(scores.shape)")
                }
                let limit = max(try inputs.optional(2)?.intScalar("max_output_boxes_per_class") ?? 0, 0)
                let iouThreshold = try inputs.optional(3)?.floatScalar("iou_threshold") ?? 0
                guard iouThreshold >= 0 && iouThreshold <= 1 else { throw QConvertError("iou_threshold must be in [0, 1], got \(iouThreshold)") }
                let scoreThreshold = try inputs.optional(4)?.floatScalar("score_threshold")
                let rows = select(boxes, scores, centerPointBox: centerPointBox == 1, limit: limit,
                                  iouThreshold: iouThreshold, scoreThreshold: scoreThreshold)
                return [Tensor(shape: [rows.count / 3, 3], scalars: rows)]
            }
        }

        /// The kept (batch, class, box) triples, flattened, batch by batch and class by class.
        static func select(_ boxes: Tensor, _ scores: Tensor, centerPointBox: Bool, limit: Int, iouThreshold: Float, scoreThreshold: Float?) -> [Int64] {
            let (batches, count, classes) = (boxes.shape[0], boxes.shape[1], scores.shape[1])
            var rows: [Int64] = []
            // No boxes: nothing to walk, however many (empty) batches and classes the shapes claim.
            guard limit > 0, count > 0 else { return rows }
            boxes.withElements(of: Float.self) { corners in
                scores.withElements(of: Float.self) { allScores in
                    for b in 0..<batches {
                        let extents = (0..<count).map { Box(corners, at: (b * count + $0) * 4, centerPointBox: centerPointBox) }
                        for c in 0..<classes {
                            let start = (b * classes + c) * count
                            var kept: [Int] = []
                            for box in ranked(UnsafeBufferPointer(rebasing: allScores[start..<start + count]), above: scoreThreshold) {
                                guard kept.count < limit else { break }
                                if !kept.contains(where: { extents[box].isSuppressed(by: extents[$0], iouThreshold: iouThreshold) }) {
                                    kept.append(box)
                                    rows += [Int64(b), Int64(c), Int64(box)]
                                }
                            }
                        }
                    }
                }
            }
            return rows
        }

        /// Indices of the scores above `threshold` (all when nil), highest first, equal scores by lower
        /// index, NaN after every number.
        static func ranked(_ scores: UnsafeBufferPointer<Float>, above threshold: Float?) -> [Int] {
            var order = threshold.map { t in scores.indices.filter { scores[$0] > t } } ?? Array(scores.indices)
            order.sort { a, b in
                let (sa, sb) = (scores[a], scores[b])
                if sa.isNaN || sb.isNaN { return sb.isNaN && (!sa.isNaN || a < b) }
                return sa > sb || (sa == sb && a < b)
            }
            return order
        }

        /// A box as edges and area, computed once per batch as ONNX Runtime computes them.
        struct Box {
            let yMin: Float, xMin: Float, yMax: Float, xMax: Float, area: Float

            /// The box whose four values start at `offset`: corners ordered per axis, or a center box
            /// widened by half its width and height each way.
            init(_ values: UnsafeBufferPointer<Float>, at offset: Int, centerPointBox: Bool) {
                let (v0, v1, v2, v3) = (values[offset], values[offset + 1], values[offset + 2], values[offset + 3])
                if centerPointBox {
                    let (halfWidth, halfHeight) = (v2 / 2, v3 / 2)
                    (xMin, xMax, yMin, yMax) = (v0 - halfWidth, v0 + halfWidth, v1 - halfHeight, v1 + halfHeight)
                    area = v2 * v3
                } else {
                    (xMin, xMax) = Box.ordered(v1, v3)
                    (yMin, yMax) = Box.ordered(v0, v2)
                    area = (yMax - yMin) * (xMax - xMin)
                }
            }

            /// (smaller, larger), the second when they compare equal or either is NaN (as ORT orders them).
            static func ordered(_ a: Float, _ b: Float) -> (Float, Float) {
                a >= b ? (b, a) : (a, b)
            }

            /// Whether a kept box suppresses this one: their intersection is non-empty and IoU >
            /// `iouThreshold`. The comparisons are ORT's, so NaN edges and areas resolve as they do there
            /// (max(a, b) = a < b ? b : a, min(a, b) = b < a ? b : a).
            func isSuppressed(by kept: Box, iouThreshold: Float) -> Bool {
                let left = xMin < kept.xMin ? kept.xMin : xMin, right = kept.xMax < xMax ? kept.xMax : xMax
                if right <= left { return false }
                let top = yMin < kept.yMin ? kept.yMin : yMin, bottom = kept.yMax < yMax ? kept.yMax : yMax
                if bottom <= top { return false }
                let intersection = (right - left) * (bottom - top)
                if intersection <= 0 { return false }
                return intersection / (area + kept.area - intersection) > iouThreshold
            }
        }
    }
}

extension Ops.NonMaxSuppression: ShapeInferable {
    /// int64 [unknown, 3]: how many boxes survive depends on the data.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [ValueFacts(.int64, [.unknown, .value(3)])]
    }
}
