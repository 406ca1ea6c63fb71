import CKernels

extension ConvGemm {
    /// 1-D and 2-D convolutions read B from a band: a padded, phase-split copy of the input rows in
    /// which every im2col row is a shifted view. When items split output channels (small images), or
    /// the whole image's band is small, one band per image is filled first, split by input channels, and
    /// every item multiplies out of it; otherwise each item fills the band of its own output rows, which
    /// stays in its core's cache.
    func runBanded(_ x: UnsafePointer<Float>, _ weights: PackedConvWeights, biases: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let (positionGrain, positionItems, channelGrain, channelItems) = items()
        let rowWidth = window.output[2], rowsPerItem = max(1, positionGrain / max(1, rowWidth)), outputRows = window.output[1]
        withUnsafePointer(to: geometry) { g in
            let shared = channelItems > 1 || qc_band_size(g, Int32(outputRows)) <= 1 << 18
            let bandRows = shared ? outputRows : rowsPerItem
            let bandSize = qc_band_size(g, Int32(bandRows))
            let multiplySize = qc_band_scratch_size(Int32(channelGrain), g, Int32(rowsPerItem))
            let bandOffset = (multiplySize + 15) / 16 * 16
            let scratchSize = shared ? multiplySize : bandOffset + bandSize
            let band = shared ? Scratch.floats(bandSize) : nil
            defer { band?.deallocate() }
            for image in 0..<batch * groups {
                let xg = x + image * inPerGroup * window.inputSize
                if let band {
                    Parallel.forEach(count: inPerGroup, grain: max(1, (1 << 16) / max(1, window.inputSize)), threads: threads) { channels in
                        qc_band_fill(xg, g, 0, Int32(outputRows), Int32(channels.lowerBound), Int32(channels.upperBound), band)
                    }
                }
                Parallel.forEach(count: positionItems * channelItems, grain: 1, threads: threads) { items in
                    let scratch = Scratch.floats(scratchSize)
                    defer { scratch.deallocate() }
                    for item in items {
                        let (positionItem, channelItem) = item.quotientAndRemainder(dividingBy: channelItems)
                        let firstRow = positionItem * rowsPerItem, endRow = min(outputRows, firstRow + rowsPerItem)
                        let firstChannel = channelItem * channelGrain, channelCount = min(channelGrain, outPerGroup - firstChannel)
                        let source: UnsafeMutablePointer<Float>
                        if let band {
                            source = band
                        } else {
                            source = scratch + bandOffset
                            qc_band_fill(xg, g, Int32(firstRow), Int32(endRow - firstRow), 0, Int32(inPerGroup), source)
                        }
                        qc_band_multiply(weights.group(image % groups, fromRow: firstChannel), Int32(channelCount), g, source,
                                         Int32(band == nil ? firstRow : 0), Int32(band == nil ? endRow - firstRow : outputRows),
                                         Int32(firstRow), Int32(endRow), biases.map { $0 + (image % groups) * outPerGroup + firstChannel },
                                         y + (image * outPerGroup + firstChannel) * positions + firstRow * rowWidth,
                                         Int32(positions), scratch)
                    }
                }
            }
        }
    }
}
