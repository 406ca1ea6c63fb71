import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// What the summary says is left inside If/Loop/Scan bodies, counted by hand on the fixture.
@Suite struct SubgraphContentTests {
    @Test func countsNodesAndFloatConstantsInsideBodies() throws {
        // if_subgraph: one If; else = Constant, Sigmoid, Sub; then = Mul, Relu and the scalar
        // initializer then.two: 5 nodes, 2 float elements (the Constant's and then.two).
        let content = SubgraphContent(try Fixtures.model("if_subgraph").model().graph)
        #expect(content.owners == ["If": 1])
        #expect(content.nodes == 5)
        #expect(content.floatWeights == 2)
    }

    @Test func noBodiesNoOwners() throws {
        #expect(SubgraphContent(try Fixtures.model("gemm_relu").model().graph) == SubgraphContent(Graph()))
        #expect(SubgraphContent(Graph()).owners.isEmpty)
    }
}
