/// COnnx: a C view of ONNX protobuf messages, implemented over the system C++ protobuf-lite library.
///
/// Why a C header: Swift imports C directly, and no Swift code may touch protobuf types. Each message
/// kind has its own one-field handle struct so that passing a node where a tensor is expected is a
/// compile error. Handles other than `qc_model` borrow from the model that owns them and are valid
/// until that model is freed or the repeated field holding them grows.
///
/// Strings and tensor bytes come back as `qc_bytes` views into the parsed message: no copy is made
/// after the parse. Setters copy their arguments into the message.
#ifndef CONNX_H
#define CONNX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A borrowed, not NUL-terminated view of bytes owned by a message.
typedef struct { const char *data; size_t size; } qc_bytes;

typedef struct { void *p; } qc_model;       ///< ModelProto, owned by the caller.
typedef struct { void *p; } qc_graph;       ///< GraphProto.
typedef struct { void *p; } qc_node;        ///< NodeProto.
typedef struct { void *p; } qc_attr;        ///< AttributeProto.
typedef struct { void *p; } qc_tensor;      ///< TensorProto.
typedef struct { void *p; } qc_value_info;  ///< ValueInfoProto.
typedef struct { void *p; } qc_type;        ///< TypeProto.
typedef struct { void *p; } qc_dim;         ///< TensorShapeProto.Dimension.
typedef struct { void *p; } qc_opset;       ///< OperatorSetIdProto.
typedef struct { void *p; } qc_entry;       ///< StringStringEntryProto.
typedef struct { void *p; } qc_function;    ///< FunctionProto (a model-local function).

/* ---- model lifecycle ------------------------------------------------------------------------ */

/// Parses a serialized ModelProto. Returns a NULL handle and writes a message into `error` on failure.
qc_model qc_model_parse(const void *data, size_t size, char *error, size_t error_capacity);
/// An empty ModelProto to be filled with the setters below.
qc_model qc_model_new(void);
void qc_model_free(qc_model model);
/// Serialized size in bytes (protobuf refuses to write more than 2 GB).
size_t qc_model_byte_size(qc_model model);
/// Writes the serialized model to an open file descriptor. Returns 1 on success, 0 on failure.
int qc_model_write_fd(qc_model model, int fd);
/// Serializes the model into `out`, which holds `capacity` bytes (qc_model_byte_size of them are
/// needed). Returns 1 on success, 0 if it does not fit or serializing fails.
int qc_model_serialize(qc_model model, void *out, size_t capacity);

/// Parses a serialized standalone TensorProto (ONNX test data's `input_0.pb`). Free with qc_tensor_free.
qc_tensor qc_tensor_parse(const void *data, size_t size, char *error, size_t error_capacity);
void qc_tensor_free(qc_tensor tensor);

/* ---- unknown fields: bytes of fields this schema does not name, kept for the round trip ------ */

qc_bytes qc_model_unknown(qc_model m);
void qc_model_set_unknown(qc_model m, qc_bytes b);
qc_bytes qc_graph_unknown(qc_graph m);
void qc_graph_set_unknown(qc_graph m, qc_bytes b);
qc_bytes qc_node_unknown(qc_node m);
void qc_node_set_unknown(qc_node m, qc_bytes b);
qc_bytes qc_attr_unknown(qc_attr m);
void qc_attr_set_unknown(qc_attr m, qc_bytes b);
qc_bytes qc_tensor_unknown(qc_tensor m);
void qc_tensor_set_unknown(qc_tensor m, qc_bytes b);
qc_bytes qc_value_info_unknown(qc_value_info m);
void qc_value_info_set_unknown(qc_value_info m, qc_bytes b);
qc_bytes qc_type_unknown(qc_type m);
void qc_type_set_unknown(qc_type m, qc_bytes b);
qc_bytes qc_function_unknown(qc_function m);
void qc_function_set_unknown(qc_function m, qc_bytes b);

/* ---- ModelProto ----------------------------------------------------------------------------- */

int64_t qc_model_ir_version(qc_model m);
void qc_model_set_ir_version(qc_model m, int64_t v);
qc_bytes qc_model_producer_name(qc_model m);
void qc_model_set_producer_name(qc_model m, qc_bytes v);
qc_bytes qc_model_producer_version(qc_model m);
void qc_model_set_producer_version(qc_model m, qc_bytes v);
qc_bytes qc_model_domain(qc_model m);
void qc_model_set_domain(qc_model m, qc_bytes v);
int64_t qc_model_model_version(qc_model m);
void qc_model_set_model_version(qc_model m, int64_t v);
qc_bytes qc_model_doc_string(qc_model m);
void qc_model_set_doc_string(qc_model m, qc_bytes v);
int qc_model_has_graph(qc_model m);
/// The graph, created empty if absent.
qc_graph qc_model_graph(qc_model m);
int qc_model_opset_count(qc_model m);
qc_opset qc_model_opset_at(qc_model m, int i);
qc_opset qc_model_add_opset(qc_model m);
int qc_model_metadata_count(qc_model m);
qc_entry qc_model_metadata_at(qc_model m, int i);
qc_entry qc_model_add_metadata(qc_model m);
int qc_model_function_count(qc_model m);
qc_function qc_model_function_at(qc_model m, int i);
qc_function qc_model_add_function(qc_model m);

/* ---- FunctionProto -------------------------------------------------------------------------- */

qc_bytes qc_function_name(qc_function f);
void qc_function_set_name(qc_function f, qc_bytes v);
qc_bytes qc_function_domain(qc_function f);
void qc_function_set_domain(qc_function f, qc_bytes v);
qc_bytes qc_function_overload(qc_function f);
void qc_function_set_overload(qc_function f, qc_bytes v);
qc_bytes qc_function_doc_string(qc_function f);
void qc_function_set_doc_string(qc_function f, qc_bytes v);
int qc_function_input_count(qc_function f);
qc_bytes qc_function_input_at(qc_function f, int i);
void qc_function_add_input(qc_function f, qc_bytes v);
int qc_function_output_count(qc_function f);
qc_bytes qc_function_output_at(qc_function f, int i);
void qc_function_add_output(qc_function f, qc_bytes v);
/// The names of the attributes a call may set that have no default.
int qc_function_attribute_count(qc_function f);
qc_bytes qc_function_attribute_at(qc_function f, int i);
void qc_function_add_attribute(qc_function f, qc_bytes v);
/// The attributes a call may set that have a default (the value held is the default).
int qc_function_attr_default_count(qc_function f);
qc_attr qc_function_attr_default_at(qc_function f, int i);
qc_attr qc_function_add_attr_default(qc_function f);
int qc_function_node_count(qc_function f);
qc_node qc_function_node_at(qc_function f, int i);
qc_node qc_function_add_node(qc_function f);
int qc_function_opset_count(qc_function f);
qc_opset qc_function_opset_at(qc_function f, int i);
qc_opset qc_function_add_opset(qc_function f);

/* ---- OperatorSetIdProto, StringStringEntryProto ---------------------------------------------- */

qc_bytes qc_opset_domain(qc_opset o);
/// Whether the domain field is present (onnx.helper writes "" for the default domain; others omit it).
int qc_opset_has_domain(qc_opset o);
void qc_opset_set_domain(qc_opset o, qc_bytes v);
int64_t qc_opset_version(qc_opset o);
void qc_opset_set_version(qc_opset o, int64_t v);
qc_bytes qc_entry_key(qc_entry e);
void qc_entry_set_key(qc_entry e, qc_bytes v);
qc_bytes qc_entry_value(qc_entry e);
void qc_entry_set_value(qc_entry e, qc_bytes v);

/* ---- GraphProto ----------------------------------------------------------------------------- */

qc_bytes qc_graph_name(qc_graph g);
void qc_graph_set_name(qc_graph g, qc_bytes v);
qc_bytes qc_graph_doc_string(qc_graph g);
void qc_graph_set_doc_string(qc_graph g, qc_bytes v);
int qc_graph_node_count(qc_graph g);
qc_node qc_graph_node_at(qc_graph g, int i);
qc_node qc_graph_add_node(qc_graph g);
int qc_graph_initializer_count(qc_graph g);
qc_tensor qc_graph_initializer_at(qc_graph g, int i);
qc_tensor qc_graph_add_initializer(qc_graph g);
int qc_graph_input_count(qc_graph g);
qc_value_info qc_graph_input_at(qc_graph g, int i);
qc_value_info qc_graph_add_input(qc_graph g);
int qc_graph_output_count(qc_graph g);
qc_value_info qc_graph_output_at(qc_graph g, int i);
qc_value_info qc_graph_add_output(qc_graph g);
int qc_graph_value_info_count(qc_graph g);
qc_value_info qc_graph_value_info_at(qc_graph g, int i);
qc_value_info qc_graph_add_value_info(qc_graph g);

/* ---- NodeProto ------------------------------------------------------------------------------ */

qc_bytes qc_node_name(qc_node n);
void qc_node_set_name(qc_node n, qc_bytes v);
qc_bytes qc_node_op_type(qc_node n);
void qc_node_set_op_type(qc_node n, qc_bytes v);
qc_bytes qc_node_domain(qc_node n);
void qc_node_set_domain(qc_node n, qc_bytes v);
qc_bytes qc_node_doc_string(qc_node n);
void qc_node_set_doc_string(qc_node n, qc_bytes v);
int qc_node_input_count(qc_node n);
qc_bytes qc_node_input_at(qc_node n, int i);
void qc_node_add_input(qc_node n, qc_bytes v);
int qc_node_output_count(qc_node n);
qc_bytes qc_node_output_at(qc_node n, int i);
void qc_node_add_output(qc_node n, qc_bytes v);
int qc_node_attr_count(qc_node n);
qc_attr qc_node_attr_at(qc_node n, int i);
qc_attr qc_node_add_attr(qc_node n);

/* ---- AttributeProto ------------------------------------------------------------------------- */

qc_bytes qc_attr_name(qc_attr a);
void qc_attr_set_name(qc_attr a, qc_bytes v);
qc_bytes qc_attr_ref_attr_name(qc_attr a);
void qc_attr_set_ref_attr_name(qc_attr a, qc_bytes v);
qc_bytes qc_attr_doc_string(qc_attr a);
void qc_attr_set_doc_string(qc_attr a, qc_bytes v);
/// AttributeProto.AttributeType as ONNX numbers it (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH,
/// 6 FLOATS, 7 INTS, 8 STRINGS, 9 TENSORS, 10 GRAPHS, others not modelled here).
int32_t qc_attr_type(qc_attr a);
void qc_attr_set_type(qc_attr a, int32_t v);
int qc_attr_has_f(qc_attr a);
float qc_attr_f(qc_attr a);
void qc_attr_set_f(qc_attr a, float v);
int qc_attr_has_i(qc_attr a);
int64_t qc_attr_i(qc_attr a);
void qc_attr_set_i(qc_attr a, int64_t v);
int qc_attr_has_s(qc_attr a);
qc_bytes qc_attr_s(qc_attr a);
void qc_attr_set_s(qc_attr a, qc_bytes v);
int qc_attr_has_t(qc_attr a);
/// The tensor, created empty if absent.
qc_tensor qc_attr_t(qc_attr a);
int qc_attr_has_g(qc_attr a);
/// The graph, created empty if absent.
qc_graph qc_attr_g(qc_attr a);
const float *qc_attr_floats(qc_attr a, int *count);
void qc_attr_set_floats(qc_attr a, const float *v, int count);
const int64_t *qc_attr_ints(qc_attr a, int *count);
void qc_attr_set_ints(qc_attr a, const int64_t *v, int count);
int qc_attr_strings_count(qc_attr a);
qc_bytes qc_attr_strings_at(qc_attr a, int i);
void qc_attr_add_strings(qc_attr a, qc_bytes v);
int qc_attr_tensors_count(qc_attr a);
qc_tensor qc_attr_tensors_at(qc_attr a, int i);
qc_tensor qc_attr_add_tensors(qc_attr a);
int qc_attr_graphs_count(qc_attr a);
qc_graph qc_attr_graphs_at(qc_attr a, int i);
qc_graph qc_attr_add_graphs(qc_attr a);

/* ---- TensorProto ---------------------------------------------------------------------------- */

qc_bytes qc_tensor_name(qc_tensor t);
void qc_tensor_set_name(qc_tensor t, qc_bytes v);
qc_bytes qc_tensor_doc_string(qc_tensor t);
void qc_tensor_set_doc_string(qc_tensor t, qc_bytes v);
int32_t qc_tensor_data_type(qc_tensor t);
void qc_tensor_set_data_type(qc_tensor t, int32_t v);
const int64_t *qc_tensor_dims(qc_tensor t, int *count);
void qc_tensor_set_dims(qc_tensor t, const int64_t *v, int count);
int qc_tensor_has_raw_data(qc_tensor t);
qc_bytes qc_tensor_raw_data(qc_tensor t);
void qc_tensor_set_raw_data(qc_tensor t, const void *data, size_t size);
/// Which field holds a tensor's bytes, for qc_tensor_swap_data.
typedef enum {
  QC_RAW_DATA = 0, QC_FLOAT_DATA = 1, QC_INT32_DATA = 2, QC_INT64_DATA = 3, QC_DOUBLE_DATA = 4, QC_UINT64_DATA = 5
} qc_data_field;
/// Exchanges one data field of two tensors without copying (the writer lends a parsed tensor's bytes
/// to the message it serializes, then takes them back).
void qc_tensor_swap_data(qc_tensor a, qc_tensor b, qc_data_field field);
/// The typed repeated fields ONNX allows instead of raw_data.
const float *qc_tensor_float_data(qc_tensor t, int *count);
const int32_t *qc_tensor_int32_data(qc_tensor t, int *count);
const int64_t *qc_tensor_int64_data(qc_tensor t, int *count);
const double *qc_tensor_double_data(qc_tensor t, int *count);
const uint64_t *qc_tensor_uint64_data(qc_tensor t, int *count);
int qc_tensor_string_data_count(qc_tensor t);
qc_bytes qc_tensor_string_data_at(qc_tensor t, int i);
void qc_tensor_add_string_data(qc_tensor t, qc_bytes v);
int32_t qc_tensor_data_location(qc_tensor t);
void qc_tensor_set_data_location(qc_tensor t, int32_t v);
int qc_tensor_external_data_count(qc_tensor t);
qc_entry qc_tensor_external_data_at(qc_tensor t, int i);
qc_entry qc_tensor_add_external_data(qc_tensor t);

/* ---- ValueInfoProto, TypeProto, TensorShapeProto -------------------------------------------- */

qc_bytes qc_value_info_name(qc_value_info v);
void qc_value_info_set_name(qc_value_info v, qc_bytes s);
qc_bytes qc_value_info_doc_string(qc_value_info v);
void qc_value_info_set_doc_string(qc_value_info v, qc_bytes s);
int qc_value_info_has_type(qc_value_info v);
/// The type, created empty if absent.
qc_type qc_value_info_type(qc_value_info v);

qc_bytes qc_type_denotation(qc_type t);
void qc_type_set_denotation(qc_type t, qc_bytes v);
int qc_type_has_tensor(qc_type t);
/// Element type of the tensor type (creates the tensor type when setting).
int32_t qc_type_elem_type(qc_type t);
void qc_type_set_elem_type(qc_type t, int32_t v);
/// Whether the tensor type has a shape: no shape means unknown rank, an empty shape is a scalar.
int qc_type_has_shape(qc_type t);
void qc_type_set_has_shape(qc_type t);
int qc_type_dim_count(qc_type t);
qc_dim qc_type_dim_at(qc_type t, int i);
qc_dim qc_type_add_dim(qc_type t);

int qc_dim_has_value(qc_dim d);
int64_t qc_dim_value(qc_dim d);
void qc_dim_set_value(qc_dim d, int64_t v);
int qc_dim_has_param(qc_dim d);
qc_bytes qc_dim_param(qc_dim d);
void qc_dim_set_param(qc_dim d, qc_bytes v);
qc_bytes qc_dim_denotation(qc_dim d);
void qc_dim_set_denotation(qc_dim d, qc_bytes v);

#ifdef __cplusplus
}
#endif

#endif
