#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// A FIFO given as a model, a statistics file, a config file or a calibration sample blocked forever
/// in open() waiting for a writer; every reader now refuses it at once as not a regular file.
@Suite struct NonRegularFileTests {
    let temporary = TemporaryDirectories()

    /// A new FIFO named `name` in a fresh folder.
    func fifo(_ name: String, in folder: String? = nil) throws -> String {
        let path = (folder ?? temporary.make()) + "/" + name
        try #require(mkfifo(path, 0o600) == 0)
        return path
    }

    /// The error `read` gives for `path`. A read still blocked after 10 s is a failure, unblocked by
    /// opening the FIFO for writing, so a regression fails instead of hanging the test run.
    func error(reading path: String, _ read: @escaping @Sendable () throws -> Void) -> String {
        final class Outcome: @unchecked Sendable { var message = "no error" }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do { try read() } catch { outcome.message = "\(error)" }
            done.signal()
        }
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("reading \(path) blocked")
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            done.wait()
            close(writer)
        }
        return outcome.message
    }

    @Test func fifosAreRefusedWithoutBlocking() throws {
        let model = try fifo("model.onnx")
        #expect(error(reading: model) { _ = try ONNXReader.read(path: model) } == "\(model): not a regular file")
        let stats = try fifo("stats.json")
        #expect(error(reading: stats) { _ = try CalibrationStats.load(path: stats) }.hasPrefix("\(stats): not a regular file"))
        let config = try fifo("q.json")
        #expect(error(reading: config) {
            var options = QuantizationOptions()
            try QuantizationConfig.load(path: config, into: &options)
        } == "\(config): not a regular file")
    }

    @Test func fifoInACalibrationFolderIsRefused() throws {
        let folder = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(2), in: temporary)
        let sample = try fifo("0002.npy", in: folder)
        let model = CalibrationTestModels.relu()
        let message = error(reading: sample) {
            let dataset = try CalibrationDataset(directory: folder, inputs: model.graph.runtimeInputs)
            _ = try Calibrator.calibrate(model, dataset: dataset, options: .init(threads: 1))
        }
        #expect(message == "\(sample): not a regular file")
    }
}
