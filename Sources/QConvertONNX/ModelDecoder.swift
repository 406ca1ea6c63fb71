import COnnx
import OrderedCollections
import QConvertIR

/// Converts a parsed ModelProto into the IR, message by message. Structural problems (duplicate
/// initializers, malformed tensors) become errors naming the graph element; the caller adds the file.
struct ModelDecoder {
    let owner: ParsedModel
    let tensors: TensorDecoder

    func model() throws -> Model {
        let m = owner.handle
        guard qc_model_has_graph(m) != 0 else {
            throw QConvertError("not an ONNX model: it has no graph (an empty or non-ONNX file parses as an empty model)")
        }
        let opsets = (0..<qc_model_opset_count(m)).map { opset(qc_model_opset_at(m, $0)) }
        var metadata: [MetadataEntry] = []
        for i in 0..<qc_model_metadata_count(m) {
            let e = qc_model_metadata_at(m, i)
            metadata.append(MetadataEntry(key: qc_entry_key(e).string, value: qc_entry_value(e).string))
        }
        return Model(
            irVersion: qc_model_ir_version(m), opsetImports: opsets,
            producerName: qc_model_producer_name(m).string, producerVersion: qc_model_producer_version(m).string,
            domain: qc_model_domain(m).string, modelVersion: qc_model_model_version(m), metadata: metadata,
            graph: try graph(qc_model_graph(m)),
            functions: try (0..<qc_model_function_count(m)).map { try function(qc_model_function_at(m, $0)) },
            extras: ProtoExtras(docString: qc_model_doc_string(m).string, unknownFields: qc_model_unknown(m).array))
    }

    func opset(_ o: qc_opset) -> OpsetImport {
        OpsetImport(domain: qc_opset_domain(o).string, version: qc_opset_version(o), domainIsWritten: qc_opset_has_domain(o) != 0)
    }

    func function(_ f: qc_function) throws -> LocalFunction {
        let name = qc_function_name(f).string, domain = qc_function_domain(f).string
        do {
            return LocalFunction(
                domain: domain, name: name, overload: qc_function_overload(f).string,
                inputs: (0..<qc_function_input_count(f)).map { qc_function_input_at(f, $0).string },
                outputs: (0..<qc_function_output_count(f)).map { qc_function_output_at(f, $0).string },
                attributeNames: (0..<qc_function_attribute_count(f)).map { qc_function_attribute_at(f, $0).string },
                attributeDefaults: try (0..<qc_function_attr_default_count(f)).map { try attribute(qc_function_attr_default_at(f, $0)) },
                nodes: try (0..<qc_function_node_count(f)).map { try node(qc_function_node_at(f, $0)) },
                opsetImports: (0..<qc_function_opset_count(f)).map { opset(qc_function_opset_at(f, $0)) },
                extras: ProtoExtras(docString: qc_function_doc_string(f).string, unknownFields: qc_function_unknown(f).array))
        } catch let error as QConvertError {
            throw error.context("function '\(LocalFunction.displayName(domain: domain, name: name))'")
        }
    }

    func graph(_ g: qc_graph) throws -> Graph {
        var graph = Graph(name: qc_graph_name(g).string,
                          extras: ProtoExtras(docString: qc_graph_doc_string(g).string, unknownFields: qc_graph_unknown(g).array))
        for i in 0..<qc_graph_initializer_count(g) {
            let t = qc_graph_initializer_at(g, i)
            let name = qc_tensor_name(t).string
            guard graph.initializers[name] == nil else {
                throw QConvertError("initializer '\(name)' is defined twice")
            }
            graph.initializers[name] = try tensors.tensor(t)
        }
        graph.inputs = (0..<qc_graph_input_count(g)).map { valueInfo(qc_graph_input_at(g, $0)) }
        graph.outputs = (0..<qc_graph_output_count(g)).map { valueInfo(qc_graph_output_at(g, $0)) }
        for i in 0..<qc_graph_value_info_count(g) {
            let info = valueInfo(qc_graph_value_info_at(g, i))
            graph.valueInfo[info.name] = info
        }
        graph.nodes.reserveCapacity(Int(qc_graph_node_count(g)))
        for i in 0..<qc_graph_node_count(g) {
            graph.nodes.append(try node(qc_graph_node_at(g, i)))
        }
        return graph
    }

    func node(_ n: qc_node) throws -> Node {
        let inputs = (0..<qc_node_input_count(n)).map { qc_node_input_at(n, $0).string }
        let outputs = (0..<qc_node_output_count(n)).map { qc_node_output_at(n, $0).string }
        var node = Node(name: qc_node_name(n).string, opType: qc_node_op_type(n).string, domain: qc_node_domain(n).string,
                        inputs: inputs, outputs: outputs,
                        extras: ProtoExtras(docString: qc_node_doc_string(n).string, unknownFields: qc_node_unknown(n).array))
        do {
            node.attributes = try (0..<qc_node_attr_count(n)).map { try attribute(qc_node_attr_at(n, $0)) }
        } catch let error as QConvertError {
            throw error.context("node '\(node.displayName)'")
        }
        return node
    }

    func attribute(_ a: qc_attr) throws -> Attribute {
        let name = qc_attr_name(a).string
        let value: AttributeValue
        switch attributeType(a) {
        case 1: value = .float(qc_attr_f(a))
        case 2: value = .int(qc_attr_i(a))
        case 3: value = .string(qc_attr_s(a).array)
        case 4: value = .tensor(try tensors.tensor(qc_attr_t(a), keepName: true))
        case 5: value = .graph(try graph(qc_attr_g(a)))
        case 6: value = .floats(Array(repeatedView { qc_attr_floats(a, $0) }))
        case 7: value = .ints(Array(repeatedView { qc_attr_ints(a, $0) }))
        case 8: value = .strings((0..<qc_attr_strings_count(a)).map { qc_attr_strings_at(a, $0).array })
        case 9: value = .tensors(try (0..<qc_attr_tensors_count(a)).map { try tensors.tensor(qc_attr_tensors_at(a, $0), keepName: true) })
        case 10: value = .graphs(try (0..<qc_attr_graphs_count(a)).map { try graph(qc_attr_graphs_at(a, $0)) })
        case let code: value = .other(typeCode: code)
        }
        return Attribute(name: name, value: value, refAttrName: qc_attr_ref_attr_name(a).string,
                         extras: ProtoExtras(docString: qc_attr_doc_string(a).string, unknownFields: qc_attr_unknown(a).array))
    }

    /// The attribute's declared type, or for files that leave `type` unset (some old exporters), the
    /// kind of the one value field that is present.
    private func attributeType(_ a: qc_attr) -> Int32 {
        let declared = qc_attr_type(a)
        if declared != 0 { return declared }
        if qc_attr_has_f(a) != 0 { return 1 }
        if qc_attr_has_i(a) != 0 { return 2 }
        if qc_attr_has_s(a) != 0 { return 3 }
        if qc_attr_has_t(a) != 0 { return 4 }
        if qc_attr_has_g(a) != 0 { return 5 }
        if !repeatedView({ qc_attr_floats(a, $0) }).isEmpty { return 6 }
        if !repeatedView({ qc_attr_ints(a, $0) }).isEmpty { return 7 }
        if qc_attr_strings_count(a) > 0 { return 8 }
        if qc_attr_tensors_count(a) > 0 { return 9 }
        if qc_attr_graphs_count(a) > 0 { return 10 }
        return 0
    }

    func valueInfo(_ v: qc_value_info) -> ValueInfo {
        let extras = ProtoExtras(docString: qc_value_info_doc_string(v).string, unknownFields: qc_value_info_unknown(v).array)
        guard qc_value_info_has_type(v) != 0 else {
            return ValueInfo(name: qc_value_info_name(v).string, type: nil, extras: extras)
        }
        let t = qc_value_info_type(v)
        var tensorType: TensorType?
        if qc_type_has_tensor(t) != 0 {
            var shape: [Dim]?
            var denotations: [String] = []
            if qc_type_has_shape(t) != 0 {
                var dims: [Dim] = []
                for i in 0..<qc_type_dim_count(t) {
                    let d = qc_type_dim_at(t, i)
                    if qc_dim_has_value(d) != 0 {
                        dims.append(.value(Int(qc_dim_value(d))))
                    } else if qc_dim_has_param(d) != 0 {
                        dims.append(.param(qc_dim_param(d).string))
                    } else {
                        dims.append(.unknown)
                    }
                    denotations.append(qc_dim_denotation(d).string)
                }
                shape = dims
            }
            if denotations.allSatisfy(\.isEmpty) { denotations = [] }
            tensorType = TensorType(elementType: DataType(rawValue: qc_type_elem_type(t)), shape: shape, dimDenotations: denotations)
        }
        let type = ValueType(tensor: tensorType, denotation: qc_type_denotation(t).string, unknownFields: qc_type_unknown(t).array)
        return ValueInfo(name: qc_value_info_name(v).string, type: type, extras: extras)
    }
}
