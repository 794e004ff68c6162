/** The 3x5 font lives with the pure pixel ops now (the editor's sweep grid draws with it too). */
export { drawText } from '../tensor/font';
