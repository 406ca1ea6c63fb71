// The implementation of COnnx.h: each function casts its handle to the generated protobuf-lite class
// and reads or writes one field. Kept mechanical on purpose; the macros below only remove repetition.
#include "include/COnnx.h"
#include "onnx-trimmed.pb.h"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cerrno>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>

using namespace qconvert::onnx;

namespace {

template <class T> T *as(void *p) { return static_cast<T *>(p); }

qc_bytes view(const std::string &s) { return qc_bytes{s.data(), s.size()}; }

std::string str(qc_bytes b) { return b.size ? std::string(b.data, b.size) : std::string(); }

template <class H, class T> H handle(T *p) { return H{static_cast<void *>(p)}; }

void write_error(char *error, size_t capacity, const char *message) {
  if (error == nullptr || capacity == 0) return;
  std::strncpy(error, message, capacity - 1);
  error[capacity - 1] = '\0';
}

/// Writes whole blocks to a descriptor, retrying short writes and EINTR; errno is left as the
/// failing write set it (the caller names ENOSPC, EACCES...).
class DescriptorOutput : public google::protobuf::io::CopyingOutputStream {
 public:
  explicit DescriptorOutput(int fd) : fd_(fd) {}
  bool Write(const void *buffer, int size) override {
    const char *bytes = static_cast<const char *>(buffer);
    while (size > 0) {
      ssize_t written = ::write(fd_, bytes, static_cast<size_t>(size));
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return false;
      bytes += written;
      size -= static_cast<int>(written);
    }
    return true;
  }

 private:
  int fd_;
};

}  // namespace

#define QC_UNKNOWN(prefix, Type, Handle)                                                  \
  qc_bytes prefix##_unknown(Handle m) { return view(as<Type>(m.p)->unknown_fields()); }  \
  void prefix##_set_unknown(Handle m, qc_bytes b) {                                       \
    *as<Type>(m.p)->mutable_unknown_fields() = str(b);                                    \
  }

#define QC_STRING(prefix, Type, Handle, field)                                                   \
  qc_bytes prefix##_##field(Handle m) { return view(as<Type>(m.p)->field()); }                   \
  void prefix##_set_##field(Handle m, qc_bytes v) { as<Type>(m.p)->set_##field(str(v)); }

#define QC_SCALAR(prefix, Type, Handle, field, CType)                                            \
  CType prefix##_##field(Handle m) { return as<Type>(m.p)->field(); }                            \
  void prefix##_set_##field(Handle m, CType v) { as<Type>(m.p)->set_##field(v); }

#define QC_REPEATED_MESSAGE(prefix, Type, Handle, field, Child, ChildHandle, name)                 \
  int prefix##_##name##_count(Handle m) { return as<Type>(m.p)->field##_size(); }                 \
  ChildHandle prefix##_##name##_at(Handle m, int i) {                                            \
    return handle<ChildHandle>(as<Type>(m.p)->mutable_##field(i));                                \
  }                                                                                              \
  ChildHandle prefix##_add_##name(Handle m) { return handle<ChildHandle>(as<Type>(m.p)->add_##field()); }

#define QC_REPEATED_STRING(prefix, Type, Handle, field, name)                                     \
  int prefix##_##name##_count(Handle m) { return as<Type>(m.p)->field##_size(); }                 \
  qc_bytes prefix##_##name##_at(Handle m, int i) { return view(as<Type>(m.p)->field(i)); }         \
  void prefix##_add_##name(Handle m, qc_bytes v) { as<Type>(m.p)->add_##field(str(v)); }

#define QC_REPEATED_NUMBER(prefix, Type, Handle, field, CType)                                    \
  const CType *prefix##_##field(Handle m, int *count) {                                          \
    *count = as<Type>(m.p)->field##_size();                                                      \
    return as<Type>(m.p)->field().data();                                                        \
  }

extern "C" {

/* ---- model lifecycle ---- */

qc_model qc_model_parse(const void *data, size_t size, char *error, size_t error_capacity) {
  if (size > static_cast<size_t>(INT_MAX)) {
    write_error(error, error_capacity, "file is larger than 2 GB, the protobuf limit for one message");
    return qc_model{nullptr};
  }
  auto *model = new ModelProto();
  if (!model->ParseFromArray(data, static_cast<int>(size))) {
    delete model;
    // protobuf-lite does not say why; its parser also stops at messages nested 100 deep (about 33
    // levels of subgraphs), which bounds the recursion of every reader above it.
    write_error(error, error_capacity,
                "not a valid ONNX protobuf (truncated, corrupt, or messages nested more than 100 deep)");
    return qc_model{nullptr};
  }
  return qc_model{model};
}

qc_model qc_model_new(void) { return qc_model{new ModelProto()}; }

void qc_model_free(qc_model model) { delete as<ModelProto>(model.p); }

size_t qc_model_byte_size(qc_model model) { return as<ModelProto>(model.p)->ByteSizeLong(); }

int qc_model_write_fd(qc_model model, int fd) {
  // 1 MB blocks: protobuf's default 8 KB blocks cost more in system calls than serializing (1,326
  // writes for ppocrv4_rec), and serializing the whole model into one fresh buffer costs a page fault
  // per 4 KB. FileOutputStream ignores its block-size argument in protobuf 3.21, hence the adaptor.
  DescriptorOutput output(fd);
  google::protobuf::io::CopyingOutputStreamAdaptor stream(&output, 1 << 20);
  bool ok = as<ModelProto>(model.p)->SerializeToZeroCopyStream(&stream);
  return stream.Flush() && ok ? 1 : 0;
}

int qc_model_serialize(qc_model model, void *out, size_t capacity) {
  auto *m = as<ModelProto>(model.p);
  size_t size = m->ByteSizeLong();
  if (size > capacity || size > static_cast<size_t>(INT_MAX)) return 0;
  return m->SerializeToArray(out, static_cast<int>(size)) ? 1 : 0;
}

qc_tensor qc_tensor_parse(const void *data, size_t size, char *error, size_t error_capacity) {
  if (size > static_cast<size_t>(INT_MAX)) {
    write_error(error, error_capacity, "file is larger than 2 GB, the protobuf limit for one message");
    return qc_tensor{nullptr};
  }
  auto *tensor = new TensorProto();
  if (!tensor->ParseFromArray(data, static_cast<int>(size))) {
    delete tensor;
    write_error(error, error_capacity, "not a valid TensorProto (truncated or corrupt)");
    return qc_tensor{nullptr};
  }
  return qc_tensor{tensor};
}

void qc_tensor_free(qc_tensor tensor) { delete as<TensorProto>(tensor.p); }

/* ---- unknown fields ---- */

QC_UNKNOWN(qc_model, ModelProto, qc_model)
QC_UNKNOWN(qc_graph, GraphProto, qc_graph)
QC_UNKNOWN(qc_node, NodeProto, qc_node)
QC_UNKNOWN(qc_attr, AttributeProto, qc_attr)
QC_UNKNOWN(qc_tensor, TensorProto, qc_tensor)
QC_UNKNOWN(qc_value_info, ValueInfoProto, qc_value_info)
QC_UNKNOWN(qc_type, TypeProto, qc_type)
QC_UNKNOWN(qc_function, FunctionProto, qc_function)

/* ---- ModelProto ---- */

QC_SCALAR(qc_model, ModelProto, qc_model, ir_version, int64_t)
QC_STRING(qc_model, ModelProto, qc_model, producer_name)
QC_STRING(qc_model, ModelProto, qc_model, producer_version)
QC_STRING(qc_model, ModelProto, qc_model, domain)
QC_SCALAR(qc_model, ModelProto, qc_model, model_version, int64_t)
QC_STRING(qc_model, ModelProto, qc_model, doc_string)
int qc_model_has_graph(qc_model m) { return as<ModelProto>(m.p)->has_graph(); }
qc_graph qc_model_graph(qc_model m) { return handle<qc_graph>(as<ModelProto>(m.p)->mutable_graph()); }
QC_REPEATED_MESSAGE(qc_model, ModelProto, qc_model, opset_import, OperatorSetIdProto, qc_opset, opset)
QC_REPEATED_MESSAGE(qc_model, ModelProto, qc_model, metadata_props, StringStringEntryProto, qc_entry, metadata)
QC_REPEATED_MESSAGE(qc_model, ModelProto, qc_model, functions, FunctionProto, qc_function, function)

/* ---- FunctionProto ---- */

QC_STRING(qc_function, FunctionProto, qc_function, name)
QC_STRING(qc_function, FunctionProto, qc_function, domain)
QC_STRING(qc_function, FunctionProto, qc_function, overload)
QC_STRING(qc_function, FunctionProto, qc_function, doc_string)
QC_REPEATED_STRING(qc_function, FunctionProto, qc_function, input, input)
QC_REPEATED_STRING(qc_function, FunctionProto, qc_function, output, output)
QC_REPEATED_STRING(qc_function, FunctionProto, qc_function, attribute, attribute)
QC_REPEATED_MESSAGE(qc_function, FunctionProto, qc_function, attribute_proto, AttributeProto, qc_attr, attr_default)
QC_REPEATED_MESSAGE(qc_function, FunctionProto, qc_function, node, NodeProto, qc_node, node)
QC_REPEATED_MESSAGE(qc_function, FunctionProto, qc_function, opset_import, OperatorSetIdProto, qc_opset, opset)

/* ---- OperatorSetIdProto, StringStringEntryProto ---- */

QC_STRING(qc_opset, OperatorSetIdProto, qc_opset, domain)
int qc_opset_has_domain(qc_opset o) { return as<OperatorSetIdProto>(o.p)->has_domain(); }
QC_SCALAR(qc_opset, OperatorSetIdProto, qc_opset, version, int64_t)
QC_STRING(qc_entry, StringStringEntryProto, qc_entry, key)
QC_STRING(qc_entry, StringStringEntryProto, qc_entry, value)

/* ---- GraphProto ---- */

QC_STRING(qc_graph, GraphProto, qc_graph, name)
QC_STRING(qc_graph, GraphProto, qc_graph, doc_string)
QC_REPEATED_MESSAGE(qc_graph, GraphProto, qc_graph, node, NodeProto, qc_node, node)
QC_REPEATED_MESSAGE(qc_graph, GraphProto, qc_graph, initializer, TensorProto, qc_tensor, initializer)
QC_REPEATED_MESSAGE(qc_graph, GraphProto, qc_graph, input, ValueInfoProto, qc_value_info, input)
QC_REPEATED_MESSAGE(qc_graph, GraphProto, qc_graph, output, ValueInfoProto, qc_value_info, output)
QC_REPEATED_MESSAGE(qc_graph, GraphProto, qc_graph, value_info, ValueInfoProto, qc_value_info, value_info)

/* ---- NodeProto ---- */

QC_STRING(qc_node, NodeProto, qc_node, name)
QC_STRING(qc_node, NodeProto, qc_node, op_type)
QC_STRING(qc_node, NodeProto, qc_node, domain)
QC_STRING(qc_node, NodeProto, qc_node, doc_string)
QC_REPEATED_STRING(qc_node, NodeProto, qc_node, input, input)
QC_REPEATED_STRING(qc_node, NodeProto, qc_node, output, output)
QC_REPEATED_MESSAGE(qc_node, NodeProto, qc_node, attribute, AttributeProto, qc_attr, attr)

/* ---- AttributeProto ---- */

QC_STRING(qc_attr, AttributeProto, qc_attr, name)
QC_STRING(qc_attr, AttributeProto, qc_attr, ref_attr_name)
QC_STRING(qc_attr, AttributeProto, qc_attr, doc_string)
QC_SCALAR(qc_attr, AttributeProto, qc_attr, type, int32_t)
int qc_attr_has_f(qc_attr a) { return as<AttributeProto>(a.p)->has_f(); }
QC_SCALAR(qc_attr, AttributeProto, qc_attr, f, float)
int qc_attr_has_i(qc_attr a) { return as<AttributeProto>(a.p)->has_i(); }
QC_SCALAR(qc_attr, AttributeProto, qc_attr, i, int64_t)
int qc_attr_has_s(qc_attr a) { return as<AttributeProto>(a.p)->has_s(); }
QC_STRING(qc_attr, AttributeProto, qc_attr, s)
int qc_attr_has_t(qc_attr a) { return as<AttributeProto>(a.p)->has_t(); }
qc_tensor qc_attr_t(qc_attr a) { return handle<qc_tensor>(as<AttributeProto>(a.p)->mutable_t()); }
int qc_attr_has_g(qc_attr a) { return as<AttributeProto>(a.p)->has_g(); }
qc_graph qc_attr_g(qc_attr a) { return handle<qc_graph>(as<AttributeProto>(a.p)->mutable_g()); }
QC_REPEATED_NUMBER(qc_attr, AttributeProto, qc_attr, floats, float)
void qc_attr_set_floats(qc_attr a, const float *v, int count) {
  as<AttributeProto>(a.p)->mutable_floats()->Assign(v, v + count);
}
QC_REPEATED_NUMBER(qc_attr, AttributeProto, qc_attr, ints, int64_t)
void qc_attr_set_ints(qc_attr a, const int64_t *v, int count) {
  as<AttributeProto>(a.p)->mutable_ints()->Assign(v, v + count);
}
QC_REPEATED_STRING(qc_attr, AttributeProto, qc_attr, strings, strings)
QC_REPEATED_MESSAGE(qc_attr, AttributeProto, qc_attr, tensors, TensorProto, qc_tensor, tensors)
QC_REPEATED_MESSAGE(qc_attr, AttributeProto, qc_attr, graphs, GraphProto, qc_graph, graphs)

/* ---- TensorProto ---- */

QC_STRING(qc_tensor, TensorProto, qc_tensor, name)
QC_STRING(qc_tensor, TensorProto, qc_tensor, doc_string)
QC_SCALAR(qc_tensor, TensorProto, qc_tensor, data_type, int32_t)
QC_REPEATED_NUMBER(qc_tensor, TensorProto, qc_tensor, dims, int64_t)
void qc_tensor_set_dims(qc_tensor t, const int64_t *v, int count) {
  as<TensorProto>(t.p)->mutable_dims()->Assign(v, v + count);
}
int qc_tensor_has_raw_data(qc_tensor t) { return as<TensorProto>(t.p)->has_raw_data(); }
qc_bytes qc_tensor_raw_data(qc_tensor t) { return view(as<TensorProto>(t.p)->raw_data()); }
void qc_tensor_set_raw_data(qc_tensor t, const void *data, size_t size) {
  as<TensorProto>(t.p)->set_raw_data(data, size);
}
void qc_tensor_swap_data(qc_tensor a, qc_tensor b, qc_data_field field) {
  auto *x = as<TensorProto>(a.p);
  auto *y = as<TensorProto>(b.p);
  switch (field) {
    case QC_RAW_DATA: x->mutable_raw_data()->swap(*y->mutable_raw_data()); break;
    case QC_FLOAT_DATA: x->mutable_float_data()->Swap(y->mutable_float_data()); break;
    case QC_INT32_DATA: x->mutable_int32_data()->Swap(y->mutable_int32_data()); break;
    case QC_INT64_DATA: x->mutable_int64_data()->Swap(y->mutable_int64_data()); break;
    case QC_DOUBLE_DATA: x->mutable_double_data()->Swap(y->mutable_double_data()); break;
    case QC_UINT64_DATA: x->mutable_uint64_data()->Swap(y->mutable_uint64_data()); break;
  }
}
QC_REPEATED_NUMBER(qc_tensor, TensorProto, qc_tensor, float_data, float)
QC_REPEATED_NUMBER(qc_tensor, TensorProto, qc_tensor, int32_data, int32_t)
QC_REPEATED_NUMBER(qc_tensor, TensorProto, qc_tensor, int64_data, int64_t)
QC_REPEATED_NUMBER(qc_tensor, TensorProto, qc_tensor, double_data, double)
QC_REPEATED_NUMBER(qc_tensor, TensorProto, qc_tensor, uint64_data, uint64_t)
QC_REPEATED_STRING(qc_tensor, TensorProto, qc_tensor, string_data, string_data)
QC_SCALAR(qc_tensor, TensorProto, qc_tensor, data_location, int32_t)
QC_REPEATED_MESSAGE(qc_tensor, TensorProto, qc_tensor, external_data, StringStringEntryProto, qc_entry, external_data)

/* ---- ValueInfoProto, TypeProto, TensorShapeProto ---- */

QC_STRING(qc_value_info, ValueInfoProto, qc_value_info, name)
QC_STRING(qc_value_info, ValueInfoProto, qc_value_info, doc_string)
int qc_value_info_has_type(qc_value_info v) { return as<ValueInfoProto>(v.p)->has_type(); }
qc_type qc_value_info_type(qc_value_info v) { return handle<qc_type>(as<ValueInfoProto>(v.p)->mutable_type()); }

QC_STRING(qc_type, TypeProto, qc_type, denotation)
int qc_type_has_tensor(qc_type t) { return as<TypeProto>(t.p)->has_tensor_type(); }
int32_t qc_type_elem_type(qc_type t) { return as<TypeProto>(t.p)->tensor_type().elem_type(); }
void qc_type_set_elem_type(qc_type t, int32_t v) { as<TypeProto>(t.p)->mutable_tensor_type()->set_elem_type(v); }
int qc_type_has_shape(qc_type t) { return as<TypeProto>(t.p)->tensor_type().has_shape(); }
void qc_type_set_has_shape(qc_type t) { as<TypeProto>(t.p)->mutable_tensor_type()->mutable_shape(); }
int qc_type_dim_count(qc_type t) { return as<TypeProto>(t.p)->tensor_type().shape().dim_size(); }
qc_dim qc_type_dim_at(qc_type t, int i) {
  return handle<qc_dim>(as<TypeProto>(t.p)->mutable_tensor_type()->mutable_shape()->mutable_dim(i));
}
qc_dim qc_type_add_dim(qc_type t) {
  return handle<qc_dim>(as<TypeProto>(t.p)->mutable_tensor_type()->mutable_shape()->add_dim());
}

int qc_dim_has_value(qc_dim d) { return as<TensorShapeProto_Dimension>(d.p)->has_dim_value(); }
int64_t qc_dim_value(qc_dim d) { return as<TensorShapeProto_Dimension>(d.p)->dim_value(); }
void qc_dim_set_value(qc_dim d, int64_t v) { as<TensorShapeProto_Dimension>(d.p)->set_dim_value(v); }
int qc_dim_has_param(qc_dim d) { return as<TensorShapeProto_Dimension>(d.p)->has_dim_param(); }
qc_bytes qc_dim_param(qc_dim d) { return view(as<TensorShapeProto_Dimension>(d.p)->dim_param()); }
void qc_dim_set_param(qc_dim d, qc_bytes v) { as<TensorShapeProto_Dimension>(d.p)->set_dim_param(str(v)); }
QC_STRING(qc_dim, TensorShapeProto_Dimension, qc_dim, denotation)

}  // extern "C"
