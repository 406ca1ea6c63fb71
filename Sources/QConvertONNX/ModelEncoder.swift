import COnnx
import QConvertIR

/// Converts the IR back into a ModelProto, field by field, the mirror of `ModelDecoder`. Tensors the
/// `ExternalDataSink` accepts are written to the data file and referenced instead of embedded.
struct ModelEncoder {
    let external: ExternalDataSink?
    /// Parsed tensors whose raw_data buffers are lent to the message being built.
    let loans = RawDataLoans()

    func encode(_ model: Model) throws -> ParsedModel {
        let m = ParsedModel(handle: qc_model_new())
        m.loans = loans
        let h = m.handle
        qc_model_set_ir_version(h, model.irVersion)
        for opset in model.opsetImports { self.opset(opset, into: qc_model_add_opset(h)) }
        if !model.producerName.isEmpty { withBytes(model.producerName) { qc_model_set_producer_name(h, $0) } }
        if !model.producerVersion.isEmpty { withBytes(model.producerVersion) { qc_model_set_producer_version(h, $0) } }
        if !model.domain.isEmpty { withBytes(model.domain) { qc_model_set_domain(h, $0) } }
        if model.modelVersion != 0 { qc_model_set_model_version(h, model.modelVersion) }
        if !model.extras.docString.isEmpty { withBytes(model.extras.docString) { qc_model_set_doc_string(h, $0) } }
        try graph(model.graph, into: qc_model_graph(h))
        for entry in model.metadata {
            let e = qc_model_add_metadata(h)
            withBytes(entry.key) { qc_entry_set_key(e, $0) }
            withBytes(entry.value) { qc_entry_set_value(e, $0) }
        }
        for function in model.functions { try self.function(function, into: qc_model_add_function(h)) }
        withBytes(model.extras.unknownFields) { qc_model_set_unknown(h, $0) }
        return m
    }

    func opset(_ opset: OpsetImport, into o: qc_opset) {
        if opset.domainIsWritten { withBytes(opset.domain) { qc_opset_set_domain(o, $0) } }
        qc_opset_set_version(o, opset.version)
    }

    func function(_ function: LocalFunction, into f: qc_function) throws {
        withBytes(function.name) { qc_function_set_name(f, $0) }
        for input in function.inputs { withBytes(input) { qc_function_add_input(f, $0) } }
        for output in function.outputs { withBytes(output) { qc_function_add_output(f, $0) } }
        for name in function.attributeNames { withBytes(name) { qc_function_add_attribute(f, $0) } }
        for node in function.nodes { try self.node(node, into: qc_function_add_node(f)) }
        if !function.extras.docString.isEmpty { withBytes(function.extras.docString) { qc_function_set_doc_string(f, $0) } }
        for opset in function.opsetImports { self.opset(opset, into: qc_function_add_opset(f)) }
        if !function.domain.isEmpty { withBytes(function.domain) { qc_function_set_domain(f, $0) } }
        for attribute in function.attributeDefaults { try self.attribute(attribute, into: qc_function_add_attr_default(f)) }
        if !function.overload.isEmpty { withBytes(function.overload) { qc_function_set_overload(f, $0) } }
        withBytes(function.extras.unknownFields) { qc_function_set_unknown(f, $0) }
    }

    func graph(_ graph: Graph, into g: qc_graph) throws {
        for node in graph.nodes {
            try self.node(node, into: qc_graph_add_node(g))
        }
        if !graph.name.isEmpty { withBytes(graph.name) { qc_graph_set_name(g, $0) } }
        for (name, tensor) in graph.initializers {
            try self.tensor(tensor, name: name, into: qc_graph_add_initializer(g))
        }
        if !graph.extras.docString.isEmpty { withBytes(graph.extras.docString) { qc_graph_set_doc_string(g, $0) } }
        for info in graph.inputs { valueInfo(info, into: qc_graph_add_input(g)) }
        for info in graph.outputs { valueInfo(info, into: qc_graph_add_output(g)) }
        for info in graph.valueInfo.values { valueInfo(info, into: qc_graph_add_value_info(g)) }
        withBytes(graph.extras.unknownFields) { qc_graph_set_unknown(g, $0) }
    }

    func node(_ node: Node, into n: qc_node) throws {
        for input in node.inputs { withBytes(input) { qc_node_add_input(n, $0) } }
        for output in node.outputs { withBytes(output) { qc_node_add_output(n, $0) } }
        if !node.name.isEmpty { withBytes(node.name) { qc_node_set_name(n, $0) } }
        withBytes(node.opType) { qc_node_set_op_type(n, $0) }
        for attribute in node.attributes {
            try self.attribute(attribute, into: qc_node_add_attr(n))
        }
        if !node.extras.docString.isEmpty { withBytes(node.extras.docString) { qc_node_set_doc_string(n, $0) } }
        if !node.domain.isEmpty { withBytes(node.domain) { qc_node_set_domain(n, $0) } }
        withBytes(node.extras.unknownFields) { qc_node_set_unknown(n, $0) }
    }

    func attribute(_ attribute: Attribute, into a: qc_attr) throws {
        withBytes(attribute.name) { qc_attr_set_name(a, $0) }
        // A reference to a function's attribute (`ref_attr_name`) carries no value of its own: the
        // zero the decoder read for its absent field is not written back (a round trip added `f: 0`).
        let reference = !attribute.refAttrName.isEmpty
        switch attribute.value {
        case .float(let f): if !(reference && f == 0) { qc_attr_set_f(a, f) }
        case .int(let i): if !(reference && i == 0) { qc_attr_set_i(a, i) }
        case .string(let s): if !(reference && s.isEmpty) { withBytes(s) { qc_attr_set_s(a, $0) } }
        case .tensor(let t): try tensor(t, name: "", into: qc_attr_t(a))
        case .graph(let g): try graph(g, into: qc_attr_g(a))
        case .floats(let fs): fs.withUnsafeBufferPointer { qc_attr_set_floats(a, $0.baseAddress, Int32($0.count)) }
        case .ints(let values): values.withUnsafeBufferPointer { qc_attr_set_ints(a, $0.baseAddress, Int32($0.count)) }
        case .strings(let ss): for s in ss { withBytes(s) { qc_attr_add_strings(a, $0) } }
        case .tensors(let ts): for t in ts { try tensor(t, name: "", into: qc_attr_add_tensors(a)) }
        case .graphs(let gs): for g in gs { try graph(g, into: qc_attr_add_graphs(a)) }
        case .other: break
        }
        if !attribute.extras.docString.isEmpty { withBytes(attribute.extras.docString) { qc_attr_set_doc_string(a, $0) } }
        qc_attr_set_type(a, attribute.value.typeCode)
        if !attribute.refAttrName.isEmpty { withBytes(attribute.refAttrName) { qc_attr_set_ref_attr_name(a, $0) } }
        withBytes(attribute.extras.unknownFields) { qc_attr_set_unknown(a, $0) }
    }

    /// Writes a tensor as raw_data (or string_data), or as a reference into the external data file.
    func tensor(_ tensor: Tensor, name: String, into t: qc_tensor) throws {
        tensor.shape.map(Int64.init).withUnsafeBufferPointer { qc_tensor_set_dims(t, $0.baseAddress, Int32($0.count)) }
        qc_tensor_set_data_type(t, tensor.dataType.rawValue)
        let name = name.isEmpty ? tensor.extras.name : name
        if !name.isEmpty { withBytes(name) { qc_tensor_set_name(t, $0) } }
        if !tensor.extras.docString.isEmpty { withBytes(tensor.extras.docString) { qc_tensor_set_doc_string(t, $0) } }
        if tensor.dataType == .string {
            for s in tensor.storage.strings { withBytes(s) { qc_tensor_add_string_data(t, $0) } }
        } else if let external, let reference = try external.store(tensor, name: name) {
            for (key, value) in [("location", reference.location), ("offset", String(reference.offset)), ("length", String(reference.length))] {
                let e = qc_tensor_add_external_data(t)
                withBytes(key) { qc_entry_set_key(e, $0) }
                withBytes(value) { qc_entry_set_value(e, $0) }
            }
            qc_tensor_set_data_location(t, 1)
        } else if !loans.borrow(tensor.storage, into: t) {
            let bytes = tensor.storage.bytes
            qc_tensor_set_raw_data(t, bytes.baseAddress, bytes.count)
        }
        withBytes(tensor.extras.unknownFields) { qc_tensor_set_unknown(t, $0) }
    }

    func valueInfo(_ info: ValueInfo, into v: qc_value_info) {
        withBytes(info.name) { qc_value_info_set_name(v, $0) }
        if let type = info.type {
            let t = qc_value_info_type(v)
            if let tensor = type.tensor {
                qc_type_set_elem_type(t, tensor.elementType.rawValue)
                if let shape = tensor.shape {
                    qc_type_set_has_shape(t)
                    for (index, dim) in shape.enumerated() {
                        let d = qc_type_add_dim(t)
                        switch dim {
                        case .value(let value): qc_dim_set_value(d, Int64(value))
                        case .param(let param): withBytes(param) { qc_dim_set_param(d, $0) }
                        case .unknown: break
                        }
                        if index < tensor.dimDenotations.count, !tensor.dimDenotations[index].isEmpty {
                            withBytes(tensor.dimDenotations[index]) { qc_dim_set_denotation(d, $0) }
                        }
                    }
                }
            }
            if !type.denotation.isEmpty { withBytes(type.denotation) { qc_type_set_denotation(t, $0) } }
            withBytes(type.unknownFields) { qc_type_set_unknown(t, $0) }
        }
        if !info.extras.docString.isEmpty { withBytes(info.extras.docString) { qc_value_info_set_doc_string(v, $0) } }
        withBytes(info.extras.unknownFields) { qc_value_info_set_unknown(v, $0) }
    }
}
