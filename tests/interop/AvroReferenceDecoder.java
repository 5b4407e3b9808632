import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;

/**
 * The independent side of the wire-format check: the reference Java Avro
 * library decodes a single-object message knowing only the schema files.
 *
 * Usage: java -cp <avro jars> AvroReferenceDecoder.java <message file>=<schema file>...
 * For each pair prints three lines: the schema's Parsing Canonical Form, its
 * CRC-64-AVRO fingerprint (signed decimal, as Java computes it), and the
 * message decoded as JSON. One JVM for all pairs keeps the check fast.
 */
public class AvroReferenceDecoder {
  public static void main(String[] args) throws Exception {
    for (String pair : args) {
      String[] files = pair.split("=", 2);
      Schema schema = new Schema.Parser().parse(Files.readString(Path.of(files[1])));
      SchemaStore.Cache store = new SchemaStore.Cache();
      store.addSchema(schema);
      BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), schema, store);
      System.out.println("canonical " + SchemaNormalization.toParsingForm(schema));
      System.out.println("fingerprint " + SchemaNormalization.parsingFingerprint64(schema));
      System.out.println("record " + decoder.decode(Files.readAllBytes(Path.of(files[0]))));
    }
  }
}
